//! drydock-image
