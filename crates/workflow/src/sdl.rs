//! Use cases: sdl (moving here from crates/cli).
