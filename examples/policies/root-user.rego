# Deny images that run as root.
#
# The JSON report does not carry the image config's user itself; the misconfiguration
# scanner (`--scanners misconfig`) reports it as rule DD-IMG-001 ("Image runs as root"),
# with Config.User in its message. Without misconfiguration results this policy cannot see
# the user and denies nothing (the policy file's `image.non_root` says so in a diagnostic).
package drydock

deny contains msg if {
	some m in input.misconfigurations
	m.rule_id == "DD-IMG-001"
	msg := sprintf("image runs as root: %s", [m.message])
}
