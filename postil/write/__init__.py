"""Stage 5: write a build so that no reader sees a half-built site."""
