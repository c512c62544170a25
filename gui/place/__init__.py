"""The Place tab: projections of a measured run onto hardware the user does not own."""
from gui.place.view import PlaceView

__all__ = ["PlaceView"]
