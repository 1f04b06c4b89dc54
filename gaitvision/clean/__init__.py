"""Cleaning stage: confidence gating, leg-swap repair, outliers, gaps, low-pass, one runner."""
