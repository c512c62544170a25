"""Explain this run: the dialog that runs the baseline and each lever alone (an ExplainJob) and the
waterfall view of their effects."""
