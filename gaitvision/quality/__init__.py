"""Quality stage: recording checks on a measured clip (framing, gait, what to re-film)."""
