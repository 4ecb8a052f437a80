//! drydock-report
