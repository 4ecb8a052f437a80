# Deny every finding listed in CISA's Known Exploited Vulnerabilities catalogue.
#
#   drydock image app.tar --rego examples/policies/kev.rego
#
# `input` is the scan report (docs/report-json.md) after VEX, ignores and rules of the
# policy file: a finding suppressed there is not seen here.
package drydock

deny contains msg if {
	some f in input.findings
	f.kev
	msg := sprintf("%s in %s %s is known to be exploited (CISA KEV since %s)", [f.id, f.package.name, f.package.version, f.kev.date_added])
}
