"""Reading video, running the pose model, and saving outputs."""
