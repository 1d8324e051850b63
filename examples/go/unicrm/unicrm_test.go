package unicrm

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fake is the local fake CRM ($UCRM_FAKE_BIN, else build/bin/unicrm-fake of this tree) on a free port.
type fake struct {
	cmd *exec.Cmd
	url string
}

func startFake(t *testing.T, args ...string) *fake {
	t.Helper()
	bin := os.Getenv("UCRM_FAKE_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../../build/bin/unicrm-fake")
	}
	cmd := exec.Command(bin, append([]string{"--port", "0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "listening on ") {
		_ = cmd.Process.Kill()
		t.Fatalf("unicrm-fake did not start: %q", line)
	}
	f := &fake{cmd: cmd, url: strings.TrimSpace(strings.TrimPrefix(line, "listening on "))}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	return f
}

func (f *fake) hubspot() Config {
	return Config{"provider": "hubspot", "api.url": f.url, "auth.token.url": f.url, "auth.access.token": "pat-test"}
}

func (f *fake) salesforce() Config {
	return Config{"provider": "salesforce", "api.url": f.url, "auth.token.url": f.url,
		"auth.client.id": "test-client", "auth.client.secret": "test-secret", "auth.refresh.token": "test-refresh"}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func needProvider(t *testing.T, name string) {
	if !has(Features(), name) {
		t.Skipf("no %s adapter is built into this libunicrm", name)
	}
}

func TestVersionAndFeatures(t *testing.T) {
	header, err := os.ReadFile("../../../include/unicrm/unicrm.h")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(header), fmt.Sprintf("#define UCRM_VERSION_STR %q", Version())) {
		t.Errorf("runtime version %s is not the header's", Version())
	}
	if !has(Features(), "threads") {
		t.Errorf("features %v lack threads", Features())
	}
}

func TestCodesComeFromTheHeader(t *testing.T) {
	if CodeNotFound.String() != "UCRM_ERR_NOT_FOUND" || CodeNotFound >= 0 {
		t.Errorf("CodeNotFound = %d %s", CodeNotFound, CodeNotFound)
	}
	if o, err := ParseObject("deals"); err != nil || o != Deal || o.String() != "deal" {
		t.Errorf("ParseObject(deals) = %v, %v", o, err)
	}
	if _, err := ParseObject("widget"); err == nil {
		t.Error("ParseObject(widget) succeeded")
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := NewClient(Config{"provider": "hubspot", "no.such.key": "1"})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrConfUnknown) || !strings.Contains(e.Message, "no.such.key") {
		t.Fatalf("unknown key: %v", err)
	}
	if e.Retriable || e.HTTPStatus != 0 {
		t.Errorf("unexpected fields %+v", e)
	}
	_, err = NewClient(Config{"auth.access.token": "x"})
	if !errors.Is(err, ErrConfInvalid) {
		t.Errorf("missing provider: %v", err)
	}
	_, err = NewClient(Config{"provider": "hubspot", "auth.access.token": "SECRET-42", "api.url": "ftp://x"})
	if err == nil || strings.Contains(err.Error(), "SECRET-42") {
		t.Errorf("bad url: %v", err)
	}
}

func hubspotClient(t *testing.T, f *fake) *Client {
	t.Helper()
	needProvider(t, "hubspot")
	c, err := NewClient(f.hubspot())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestCRUD(t *testing.T) {
	needProvider(t, "hubspot")
	c := hubspotClient(t, startFake(t, "--seed", "3"))
	ada, err := c.Create(Contact, Record{"email": "ada.go@example.com", "first_name": "Ada"}, nil)
	if err != nil || ada.ID() == "" {
		t.Fatalf("create: %v %v", ada, err)
	}
	got, err := c.Get(Contact, ada.ID(), &Options{Fields: []string{"email", "first_name"}})
	if err != nil || got["email"] != "ada.go@example.com" {
		t.Fatalf("get: %v %v", got, err)
	}
	if _, err := c.Update(Contact, ada.ID(), Record{"title": "Countess"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(Contact, ada.ID(), nil); got["title"] != "Countess" {
		t.Errorf("after update: %v", got)
	}
	if raw, err := c.Get(Contact, ada.ID(), &Options{Raw: true}); err != nil || raw["properties"] == nil {
		t.Errorf("raw: %v %v", raw, err)
	}
	if err := c.Delete(Contact, ada.ID(), nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(Contact, ada.ID(), nil)
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &e) || e.HTTPStatus != 404 {
		t.Errorf("get deleted: %v", err)
	}
}

func TestDecimalsAndNumbersStayExact(t *testing.T) {
	needProvider(t, "hubspot")
	c := hubspotClient(t, startFake(t))
	d, err := c.Create(Deal, Record{"name": "Exact", "amount": "1500.10"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(Deal, d.ID(), nil); got["amount"] != "1500.10" {
		t.Errorf("amount %v", got["amount"])
	}
}

func TestIterationCursorAndResume(t *testing.T) {
	needProvider(t, "hubspot")
	c := hubspotClient(t, startFake(t, "--seed", "5"))
	it, err := c.List(Account, &Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !it.Next() {
		t.Fatalf("no first record: %v", it.Err())
	}
	seen := map[string]bool{it.Record().ID(): true}
	cursor := it.Cursor()
	_ = it.Close()
	rest, err := c.Resume(cursor, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rest.Close()
	for rest.Next() {
		if seen[rest.Record().ID()] {
			t.Errorf("record %s repeated", rest.Record().ID())
		}
		seen[rest.Record().ID()] = true
	}
	if rest.Err() != nil || len(seen) != 5 {
		t.Errorf("%d records, err %v", len(seen), rest.Err())
	}
}

func TestSearchUpsertBatch(t *testing.T) {
	needProvider(t, "hubspot")
	c := hubspotClient(t, startFake(t))
	a, err := c.Upsert(Contact, Record{"email": "up.go@example.com", "first_name": "One"}, "email", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Upsert(Contact, Record{"email": "up.go@example.com", "first_name": "Two"}, "email", nil)
	if err != nil || a.ID() != b.ID() {
		t.Fatalf("upsert: %v %v %v", a, b, err)
	}
	it, err := c.Search(Contact, "email", "up.go@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		n++
	}
	_ = it.Close()
	if n != 1 {
		t.Errorf("search found %d", n)
	}
	recs := []Record{{"email": "b1.go@example.com"}, {"email": "b2.go@example.com"}}
	res, err := c.Batch(BatchCreate, Contact, recs, "", nil)
	if err != nil || len(res) != 2 || res[0].Err != nil || res[1].ID == "" {
		t.Fatalf("batch: %+v %v", res, err)
	}
	del, err := c.BatchDelete(Contact, []string{res[0].ID, res[1].ID}, nil)
	if err != nil || del[0].Err != nil || del[1].Err != nil {
		t.Errorf("batch delete: %+v %v", del, err)
	}
	if _, err := c.Create(Contact, Record{"shoe_size": 44}, nil); !errors.Is(err, ErrInvalidField) {
		t.Errorf("unknown field: %v", err)
	}
}

func TestPassthroughStatsAndErrors(t *testing.T) {
	needProvider(t, "hubspot")
	f := startFake(t)
	c := hubspotClient(t, f)
	r, err := c.Passthrough("GET", "/crm/v3/objects/contacts?limit=1", nil, nil)
	if err != nil || r.Status != 200 || !strings.HasPrefix(r.Header("content-type"), "application/json") {
		t.Fatalf("passthrough: %+v %v", r, err)
	}
	if st, err := c.Stats(); err != nil || st == nil {
		t.Errorf("stats: %v %v", st, err)
	}
	bad, err := NewClient(Config{"provider": "hubspot", "api.url": f.url, "auth.access.token": "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := bad.Get(Contact, "1", nil); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong token: %v", err)
	}
	down, _ := NewClient(Config{"provider": "hubspot", "api.url": "http://127.0.0.1:1", "auth.access.token": "t",
		"retry.max": "0"})
	defer down.Close()
	if _, err := down.Get(Contact, "1", nil); !errors.Is(err, ErrTransport) {
		t.Errorf("no server: %v", err)
	}
}

func TestGoroutinesShareOneClient(t *testing.T) {
	needProvider(t, "hubspot")
	c := hubspotClient(t, startFake(t, "--seed", "4"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it, err := c.List(Contact, nil)
			if err != nil {
				errs <- err
				return
			}
			defer it.Close()
			for it.Next() {
				if _, err := c.Get(Contact, it.Record().ID(), nil); err != nil {
					errs <- err
					return
				}
			}
			if it.Err() != nil {
				errs <- it.Err()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseClosesIterators(t *testing.T) {
	needProvider(t, "hubspot")
	c, err := NewClient(startFake(t, "--seed", "2").hubspot())
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.List(Contact, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if it.Next() {
		t.Error("Next after Client.Close")
	}
	if _, err := c.Get(Contact, "1", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("get after close: %v", err)
	}
	_ = c.Close()
	_ = it.Close()
}

func TestSalesforce(t *testing.T) {
	needProvider(t, "salesforce")
	c, err := NewClient(startFake(t, "--seed", "2").salesforce())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := c.Create(Account, Record{"name": "Acme", "employee_count": 250}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(Account, a.ID(), nil)
	if err != nil || fmt.Sprint(got["employee_count"]) != "250" || c.Provider() != "salesforce" {
		t.Errorf("get: %v %v", got, err)
	}
}
