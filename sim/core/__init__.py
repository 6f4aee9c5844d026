"""The core: scenarios (files, validation), kernel parameters, utilities, random streams, consent.

Nothing here imports any other part of the package.
"""

__all__: list[str] = []
