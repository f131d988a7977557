package knp

import "strings"

// probeTable is the table the kernel probe adds and deletes again.
const probeTable = "netpolcheck-queue-probe"

// ProbeScript is an nft batch that asks the kernel for the queue expression
// and changes nothing: one transaction adds a table, a chain with no hook
// (no packet ever passes it) and a rule that queues, then deletes the table.
// The kernel checks the expression when the rule is added, so the batch
// fails as a whole where CONFIG_NFT_QUEUE is missing.
const ProbeScript = "add table inet " + probeTable + "\n" +
	"add chain inet " + probeTable + " probe\n" +
	"add rule inet " + probeTable + " probe queue num 65000 bypass\n" +
	"delete table inet " + probeTable + "\n"

// QueueMissing reads nft's complaint about ProbeScript: whether it says
// the kernel has no queue expression (nf_tables answers ENOENT for an
// expression type it does not know). Any other failure is not an answer.
func QueueMissing(nftOutput string) bool {
	return strings.Contains(nftOutput, "No such file or directory")
}
