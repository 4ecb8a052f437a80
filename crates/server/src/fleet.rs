//! Fleet reports: the contract and its CSV/PDF renderers live in `drydock_report::fleet`;
//! these wrappers map its errors into the server's.

pub use drydock_report::fleet::{FleetReport, FleetRow, FleetSla, TrendPoint};

use crate::error::{Error, Result};

pub fn render_fleet_csv(r: &FleetReport) -> Result<String> {
    drydock_report::fleet::render_fleet_csv(r).map_err(|e| Error::Report(e.to_string()))
}

pub fn render_fleet_pdf(r: &FleetReport) -> Result<Vec<u8>> {
    drydock_report::fleet::render_fleet_pdf(r).map_err(|e| Error::Report(e.to_string()))
}
