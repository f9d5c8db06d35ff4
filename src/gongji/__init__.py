"""Gongji (共济): an open-source platform for China's basic medical insurance."""

__version__ = "0.1.0"
