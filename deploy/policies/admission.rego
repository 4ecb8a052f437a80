# Drydock's default admission policy (package drydock.admission).
#
# `deny` lists violations: the namespace's mode decides what they do (enforce: the request
# is denied; warn: allowed with AdmissionReview warnings; audit: allowed, logged and
# annotated). `warn` is always a warning. The input is documented in docs/webhook.md.
package drydock.admission

import rego.v1

# Critical vulnerabilities that have a released fix.
deny contains msg if {
	some id in input.scan.critical_fixable
	msg := sprintf("%s: critical vulnerability %s has a fix", [input.image, id])
}

# Vulnerabilities known to be exploited (CISA KEV).
deny contains msg if {
	some id in input.scan.kev
	msg := sprintf("%s: %s is known to be exploited (CISA KEV)", [input.image, id])
}

# Images must be pinned by digest, so that what runs is what was scanned.
deny contains msg if {
	not input.pinned
	msg := sprintf("%s: not pinned by digest (use %s@%s)", [input.image, input.image, input.digest])
}

# Images must carry a valid signature.
deny contains msg if {
	not input.signature.verified
	msg := sprintf("%s: not signed: %s", [input.image, input.signature.reason])
}

# Containers must not run as root.
deny contains msg if {
	input.container.runs_as_root
	msg := sprintf("%s: container %s runs as root (set runAsNonRoot or a non-zero runAsUser)", [input.image, input.container.name])
}

# High-severity findings with a fix: a warning everywhere.
warn contains msg if {
	n := input.scan.by_severity.HIGH
	n > 0
	msg := sprintf("%s: %d high-severity vulnerabilities", [input.image, n])
}
