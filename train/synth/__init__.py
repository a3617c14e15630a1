"""Synthetic multi-character, multi-language speech-and-face corpus."""
