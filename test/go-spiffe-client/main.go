// Command go-spiffe-client is the reference SPIFFE client of the test tiers: go-spiffe's
// workloadapi package, unchanged, against a volume's Workload API socket. It fetches the X.509
// context once through an X509Source, then watches it until it has seen -updates distinct SVIDs
// (the first one plus pushed rotations), validating every context with its own rules (rules.go).
// Every event is one JSON line on stdout; any failure prints an "error" line and exits 1, so a
// test can fail on whatever go-spiffe or our rules reject.
//
// Built GOPATH-style with Debian's packages by scripts/go-spiffe-client/build.sh.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

func emit(fields map[string]interface{}) {
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}

func fail(format string, args ...interface{}) {
	emit(map[string]interface{}{"event": "error", "error": fmt.Sprintf(format, args...)})
	os.Exit(1)
}

func main() {
	addr := flag.String("addr", os.Getenv("SPIFFE_ENDPOINT_SOCKET"),
		"Workload API address (unix:///path/workload.sock); default $SPIFFE_ENDPOINT_SOCKET")
	expectID := flag.String("expect-id", "", "SPIFFE ID the SVID must carry (empty: any in its trust domain)")
	updates := flag.Int("updates", 2, "distinct SVIDs the watcher must see (1 = fetch only, 2 = one rotation)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	if *addr == "" {
		fail("no address: pass -addr or set SPIFFE_ENDPOINT_SOCKET")
	}
	var want *spiffeid.ID
	if *expectID != "" {
		id, err := spiffeid.FromString(*expectID)
		if err != nil {
			fail("-expect-id: %v", err)
		}
		want = &id
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	clientOpts := workloadapi.WithClientOptions(workloadapi.WithAddr(*addr), workloadapi.WithLogger(jsonLogger{}))

	// One fetch through X509Source: the way most go-spiffe applications start.
	source, err := workloadapi.NewX509Source(ctx, clientOpts)
	if err != nil {
		fail("NewX509Source: %v", err)
	}
	svid, err := source.GetX509SVID()
	if err != nil {
		fail("GetX509SVID: %v", err)
	}
	summary, err := checkSVID(svid, source, want)
	if err != nil {
		fail("fetched SVID rejected: %v", err)
	}
	summary["event"] = "fetch"
	emit(summary)
	_ = source.Close()

	// Then the watcher: the pushed updates a rotation must produce.
	w := &watcher{want: want, needed: *updates, done: make(chan error, 1)}
	go func() {
		err := workloadapi.WatchX509Context(ctx, w, workloadapi.WithAddr(*addr), workloadapi.WithLogger(jsonLogger{}))
		select {
		case w.done <- fmt.Errorf("watch ended: %v", err):
		default:
		}
	}()
	if err := <-w.done; err != nil {
		fail("%v", err)
	}
	emit(map[string]interface{}{"event": "done", "updates": len(w.serials)})
}
