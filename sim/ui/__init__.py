"""The classroom UI: Solara on Mesa's SolaraViz parts (``negsim ui``)."""

__all__: list[str] = []
