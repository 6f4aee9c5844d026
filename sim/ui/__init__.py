"""The classroom UI: Solara on Mesa's SolaraViz parts (``negsim ui``)."""
