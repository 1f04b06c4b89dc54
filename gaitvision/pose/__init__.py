"""Pose stage: the pose model over the video, the view, the knee outline and the image-based pelvis line."""
