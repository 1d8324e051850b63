"""Tests of the Python binding, run with the system python3 (unittest only) by tests/test_python.sh:

    UCRM_LIB=lib/libunicrm.so.1 UCRM_FAKE_BIN=build/bin/unicrm-fake python3 -m unittest discover -s examples/python/tests

The tests that talk to a CRM use the local fake (unicrm-fake) and are skipped, with the reason, only when the
library has no adapter for the provider.
"""
import gc
import os
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import unicrm  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
FAKE_BIN = os.environ.get("UCRM_FAKE_BIN") or os.path.join(ROOT, "build", "bin", "unicrm-fake")
HAVE_HUBSPOT = "hubspot" in unicrm.features()
HAVE_SALESFORCE = "salesforce" in unicrm.features()


class Fake:
    """The local fake CRM on a free loopback port."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([FAKE_BIN, "--port", "0"] + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError("unicrm-fake did not start: %r" % line)
        self.url = line[len("listening on "):]

    def hubspot(self, **extra):
        conf = {"provider": "hubspot", "api.url": self.url, "auth.token.url": self.url,
                "auth.access.token": "pat-test"}
        conf.update(extra)
        return conf

    def salesforce(self, **extra):
        conf = {"provider": "salesforce", "api.url": self.url, "auth.token.url": self.url,
                "auth.client.id": "test-client", "auth.client.secret": "test-secret",
                "auth.refresh.token": "test-refresh"}
        conf.update(extra)
        return conf

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()


class TestLibrary(unittest.TestCase):
    def test_version_matches_the_header(self):
        with open(os.path.join(ROOT, "include", "unicrm", "unicrm.h")) as f:
            header = f.read()
        self.assertIn('#define UCRM_VERSION_STR "%s"' % unicrm.version(), header)

    def test_features(self):
        self.assertIn("threads", unicrm.features())
        self.assertIn("tls", unicrm.features())

    def test_error_classes_come_from_the_library(self):
        self.assertTrue(issubclass(unicrm.NotFoundError, unicrm.UnicrmError))
        self.assertEqual(unicrm.NotFoundError.code, unicrm.ERR_NOT_FOUND)
        self.assertEqual(unicrm.NotFoundError.name, "UCRM_ERR_NOT_FOUND")
        self.assertLess(unicrm.ERR_RATE_LIMITED, 0)
        self.assertEqual(unicrm.OK, 0)
        self.assertIs(unicrm.error_class(-12345), unicrm.UnicrmError)
        for name in ("ConflictError", "ValidationError", "RateLimitedError", "AuthError", "TimeoutError",
                     "PartialError", "ConfInvalidError", "NotBuiltInError"):
            self.assertTrue(hasattr(unicrm, name), name)

    def test_describe_config(self):
        names = {row["name"] for row in unicrm.describe_config()}
        self.assertIn("provider", names)
        self.assertIn("auth.access.token", names)


class TestConfiguration(unittest.TestCase):
    def test_unknown_key_raises_with_the_error_fields(self):
        with self.assertRaises(unicrm.ConfUnknownError) as cm:
            unicrm.Client({"provider": "hubspot", "no.such.key": "1"})
        e = cm.exception
        self.assertEqual(e.code, unicrm.ERR_CONF_UNKNOWN)
        self.assertIn("no.such.key", e.message)
        self.assertFalse(e.retriable)
        self.assertEqual(e.http_status, 0)

    def test_invalid_value(self):
        with self.assertRaises(unicrm.ConfInvalidError) as cm:
            unicrm.Client({"provider": "hubspot", "http.timeout.ms": "soon"})
        self.assertIn("http.timeout.ms", str(cm.exception))

    def test_missing_provider(self):
        with self.assertRaises(unicrm.ConfInvalidError):
            unicrm.Client({"auth.access.token": "x"})

    def test_booleans_and_numbers_become_text(self):
        if HAVE_HUBSPOT:
            unicrm.Client({"provider": "hubspot", "auth.access.token": "t", "log.stderr": False,
                           "retry.max": 2}).close()
        else:
            with self.assertRaises(unicrm.NotBuiltInError):
                unicrm.Client({"provider": "hubspot", "auth.access.token": "t", "log.stderr": False,
                               "retry.max": 2})

    def test_secrets_do_not_leak_into_errors(self):
        with self.assertRaises(unicrm.UnicrmError) as cm:
            unicrm.Client({"provider": "hubspot", "auth.access.token": "SECRET-123", "api.url": "ftp://x"})
        self.assertNotIn("SECRET-123", str(cm.exception))


@unittest.skipUnless(HAVE_HUBSPOT, "no HubSpot adapter is built into this libunicrm")
class TestHubSpotFake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--seed", "3")
        cls.crm = unicrm.Client(cls.fake.hubspot())

    @classmethod
    def tearDownClass(cls):
        cls.crm.close()
        cls.fake.stop()

    def test_crud(self):
        ada = self.crm.create("contact", {"email": "ada.crud@example.com", "first_name": "Ada"})
        self.assertTrue(ada["id"])
        got = self.crm.get("contact", ada["id"])
        self.assertEqual(got["email"], "ada.crud@example.com")
        self.crm.update("contact", ada["id"], {"title": "Countess"})
        self.assertEqual(self.crm.get("contact", ada["id"], fields=["title"])["title"], "Countess")
        self.crm.delete("contact", ada["id"])
        with self.assertRaises(unicrm.NotFoundError) as cm:
            self.crm.get("contact", ada["id"])
        self.assertEqual(cm.exception.http_status, 404)
        self.assertFalse(cm.exception.retriable)

    def test_raw_payload(self):
        c = self.crm.create("contact", {"email": "raw@example.com"})
        raw = self.crm.get("contact", c["id"], raw=True)
        self.assertIn("properties", raw)

    def test_decimal_amounts_stay_exact(self):
        d = self.crm.create("deal", {"name": "Exact", "amount": "1500.10"})
        self.assertEqual(self.crm.get("deal", d["id"])["amount"], "1500.10")

    def test_list_is_an_iterator(self):
        with self.crm.list("contact", page_size=2) as it:
            records = list(it)
        self.assertGreaterEqual(len(records), 3)
        self.assertTrue(all("id" in r for r in records))

    def test_cursor_and_resume(self):
        it = self.crm.list("account", page_size=1)
        first = next(it)
        cursor = it.cursor
        it.close()
        rest = list(self.crm.resume(cursor))
        ids = [first["id"]] + [r["id"] for r in rest]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(ids), 3)

    def test_search(self):
        self.crm.create("contact", {"email": "findme@example.com"})
        found = list(self.crm.search("contact", "email", "findme@example.com"))
        self.assertEqual(len(found), 1)

    def test_upsert_by_email(self):
        a = self.crm.upsert("contact", {"email": "up@example.com", "first_name": "One"}, key="email")
        b = self.crm.upsert("contact", {"email": "up@example.com", "first_name": "Two"}, key="email")
        self.assertEqual(a["id"], b["id"])
        self.assertEqual(self.crm.get("contact", a["id"])["first_name"], "Two")

    def test_unknown_field_is_rejected_locally(self):
        with self.assertRaises(unicrm.InvalidFieldError) as cm:
            self.crm.create("contact", {"shoe_size": 44})
        self.assertEqual(cm.exception.http_status, 0)

    def test_batch(self):
        results = self.crm.batch("create", "contact", [{"email": "b%d@example.com" % i} for i in range(3)])
        self.assertEqual([r.ok for r in results], [True] * 3)
        ids = [r.id for r in results]
        deleted = self.crm.batch("delete", "contact", ids)
        self.assertTrue(all(r.ok for r in deleted))

    def test_passthrough(self):
        with self.crm.passthrough("GET", "/crm/v3/objects/contacts?limit=1") as resp:
            self.assertEqual(resp.status, 200)
            self.assertIn("results", resp.json())
            self.assertTrue(resp.header("Content-Type").startswith("application/json"))
        with self.crm.passthrough("GET", "/crm/v3/objects/contacts/999999999") as resp:
            self.assertEqual(resp.status, 404)

    def test_auth_error(self):
        with unicrm.Client(self.fake.hubspot(**{"auth.access.token": "wrong"})) as bad:
            with self.assertRaises(unicrm.AuthError) as cm:
                bad.get("contact", "1")
        self.assertEqual(cm.exception.http_status, 401)

    def test_transport_error(self):
        with unicrm.Client({"provider": "hubspot", "api.url": "http://127.0.0.1:1",
                            "auth.access.token": "t", "retry.max": "0"}) as crm:
            with self.assertRaises(unicrm.TransportError):
                crm.get("contact", "1")

    def test_stats(self):
        self.crm.get("contact", next(iter(self.crm.list("contact")))["id"])
        self.assertIsInstance(self.crm.stats(), dict)

    def test_threads_share_one_client(self):
        ids = [r["id"] for r in self.crm.list("contact")]
        errors = []

        def work():
            try:
                for i in ids:
                    self.crm.get("contact", i)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])

    def test_close_frees_open_iterators(self):
        crm = unicrm.Client(self.fake.hubspot())
        it = crm.list("contact")
        next(it)
        crm.close()
        self.assertEqual(list(it), [])  # closed with the client: ends instead of touching freed memory
        with self.assertRaises(ValueError):
            crm.get("contact", "1")
        crm.close()  # twice is fine
        del it, crm
        gc.collect()


@unittest.skipUnless(HAVE_SALESFORCE, "no Salesforce adapter is built into this libunicrm")
class TestSalesforceFake(unittest.TestCase):
    def test_token_callback_and_crud(self):
        fake = Fake("--seed", "2")
        seen = []
        try:
            with unicrm.Client(fake.salesforce(), on_token=lambda *a: seen.append(a)) as crm:
                acct = crm.create("account", {"name": "Acme", "employee_count": 250})
                self.assertEqual(crm.get("account", acct["id"])["employee_count"], 250)
                self.assertEqual(crm.provider, "salesforce")
        finally:
            fake.stop()
        self.assertTrue(seen, "the token callback was not called")
        access, refresh, expires_at_ms, instance_url = seen[0]
        self.assertTrue(access)
        self.assertEqual(instance_url, fake.url)

    def test_token_callback_exception_aborts_the_call(self):
        fake = Fake()
        try:
            def boom(*_):
                raise RuntimeError("cannot store the token")
            with unicrm.Client(fake.salesforce(), on_token=boom) as crm:
                with self.assertRaises(unicrm.UserError):
                    crm.get("account", "001000000000001AAA")
        finally:
            fake.stop()


if __name__ == "__main__":
    unittest.main()
