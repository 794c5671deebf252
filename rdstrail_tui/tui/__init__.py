"""The Textual explorer. The only package that imports textual."""
