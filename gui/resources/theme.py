"""The app's look: Fusion with a light palette and one style sheet, applied once in gui.app.
Slate greys, one blue accent, red only for problems."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#2563EB"

STYLE = """
QMainWindow, QWidget#Central { background: #F1F5F9; }
QToolBar { background: #FFFFFF; border: none; border-bottom: 1px solid #E2E8F0; padding: 4px 8px; spacing: 2px; }
QToolBar QToolButton { padding: 5px 9px; border-radius: 6px; color: #1E293B; }
QToolBar QToolButton::menu-indicator { image: none; width: 0; }
QToolBar QToolButton:hover { background: #EFF6FF; color: #1D4ED8; }
QToolBar QToolButton:pressed { background: #DBEAFE; }
QToolBar QToolButton:disabled { color: #94A3B8; }
QToolBar::separator { background: #E2E8F0; width: 1px; margin: 6px 6px; }
QTabWidget::pane { border: none; background: #F1F5F9; }
QTabBar::tab { padding: 7px 18px; margin: 0 2px; border: none; color: #475569; background: transparent;
               border-bottom: 2px solid transparent; }
QTabBar::tab:selected { color: #0F172A; border-bottom: 2px solid #2563EB; font-weight: 600; }
QTabBar::tab:hover:!selected { color: #1E293B; background: #E2E8F0; border-radius: 6px; }
QWidget#Palette { background: #FFFFFF; border-right: 1px solid #E2E8F0; }
QWidget#Palette QTreeWidget { border: none; background: #FFFFFF; outline: none; }
QTreeWidget::item { padding: 2px 4px; border-radius: 6px; color: #1E293B; }
QTreeWidget::item:hover { background: #F1F5F9; }
QTreeWidget::item:selected { background: #DBEAFE; color: #1E3A8A; }
QLineEdit { background: #FFFFFF; border: 1px solid #CBD5E1; border-radius: 6px; padding: 4px 8px;
            selection-background-color: #BFDBFE; selection-color: #0F172A; }
QLineEdit:focus { border: 1px solid #2563EB; }
QLineEdit[invalid="true"] { border: 1.5px solid #DC2626; background: #FEF2F2; }
QLabel#FieldError { color: #DC2626; font-size: 8pt; }
QComboBox { background: #FFFFFF; border: 1px solid #CBD5E1; border-radius: 6px; padding: 3px 8px; }
QScrollArea#Inspector, QScrollArea#Inspector > QWidget > QWidget { background: #FFFFFF; }
QScrollArea#Inspector { border-left: 1px solid #E2E8F0; }
QLabel#InspectorTitle { font-size: 13pt; font-weight: 600; color: #0F172A; }
QLabel#SectionTitle { color: #64748B; font-size: 8pt; font-weight: 700; padding-top: 10px; }
QLabel#Muted { color: #64748B; }
QLabel#Stats { color: #0F172A; }
QLabel#Multi { background: #FFFFFF; color: #0F172A; }
QLabel#Problems { background: #FEF2F2; color: #991B1B; border: 1px solid #FECACA; border-radius: 8px;
                  padding: 8px 10px; }
QLabel#Problems[warn="true"] { background: #FFFBEB; color: #92400E; border: 1px solid #FDE68A; }
QPushButton#FixButton { background: #FFFFFF; border: 1px solid #FCA5A5; color: #B91C1C; border-radius: 6px;
                        padding: 5px 10px; text-align: left; }
QPushButton#FixButton:hover { background: #FEF2F2; }
QFrame#SummaryBar { background: #FFFFFF; border-top: 1px solid #E2E8F0; }
QLabel#StatValue { font-size: 12pt; font-weight: 600; color: #0F172A; }
QLabel#StatLabel { font-size: 8pt; color: #64748B; }
QPushButton#ProblemsButton { border: 1px solid #BBF7D0; background: #F0FDF4; color: #166534; border-radius: 14px;
                             padding: 5px 14px; font-weight: 600; }
QPushButton#ProblemsButton[bad="true"] { border: 1px solid #FECACA; background: #FEF2F2; color: #B91C1C; }
QPushButton#ProblemsButton[warn="true"] { border: 1px solid #FDE68A; background: #FFFBEB; color: #92400E; }
QScrollBar:vertical { background: transparent; width: 10px; margin: 2px; }
QScrollBar:horizontal { background: transparent; height: 10px; margin: 2px; }
QScrollBar::handle { background: #CBD5E1; border-radius: 3px; min-height: 24px; min-width: 24px; }
QScrollBar::handle:hover { background: #94A3B8; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: transparent; }
QSplitter::handle { background: #E2E8F0; }
QSplitter::handle:horizontal { width: 1px; }
QStatusBar { background: #FFFFFF; color: #475569; border-top: 1px solid #E2E8F0; }
QToolTip { background: #FFFFFF; color: #0F172A; border: 1px solid #CBD5E1; padding: 6px; border-radius: 6px; }
QMenu { background: #FFFFFF; border: 1px solid #E2E8F0; padding: 4px; }
QMenu::item { padding: 5px 24px 5px 18px; border-radius: 4px; }
QMenu::item:selected { background: #EFF6FF; color: #1D4ED8; }
"""


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.Window, QColor("#F1F5F9"))
    pal.setColor(QPalette.WindowText, QColor("#0F172A"))
    pal.setColor(QPalette.Base, QColor("#FFFFFF"))
    pal.setColor(QPalette.AlternateBase, QColor("#F8FAFC"))
    pal.setColor(QPalette.Text, QColor("#0F172A"))
    pal.setColor(QPalette.Button, QColor("#FFFFFF"))
    pal.setColor(QPalette.ButtonText, QColor("#0F172A"))
    pal.setColor(QPalette.Highlight, QColor(ACCENT))
    pal.setColor(QPalette.HighlightedText, QColor("#FFFFFF"))
    pal.setColor(QPalette.ToolTipBase, QColor("#FFFFFF"))
    pal.setColor(QPalette.ToolTipText, QColor("#0F172A"))
    pal.setColor(QPalette.PlaceholderText, QColor("#94A3B8"))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.5))
    app.setFont(font)
    app.setStyleSheet(STYLE)
