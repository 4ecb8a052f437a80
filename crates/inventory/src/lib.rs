//! drydock-inventory
