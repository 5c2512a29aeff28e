//! The note: the markdown document recap writes and validates.
