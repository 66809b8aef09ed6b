"""Hand pose: MediaPipe hand landmarks (run in their own environment) and what is built on them."""
