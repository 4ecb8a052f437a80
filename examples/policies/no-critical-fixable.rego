# Deny CRITICAL findings that already have a fix: those are upgrades waiting to be made.
#
# Severities are the report's after the policy file's `rules:` (a rule can raise or lower
# one); UNKNOWN (no source rates it) never counts as CRITICAL.
package drydock

deny contains msg if {
	some f in input.findings
	f.severity == "CRITICAL"
	f.status == "fixed"
	f.fixed_version
	msg := sprintf("%s (CRITICAL) in %s %s is fixed in %s", [f.id, f.package.name, f.package.version, f.fixed_version])
}
