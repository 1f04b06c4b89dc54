"""Measuring stage: metric functions, the metric registry, the step table and the summary."""
