"""Drawing: one set of annotators for the annotated video and the stills."""
