"""The commands beside `build`: check, new, replies, import."""
