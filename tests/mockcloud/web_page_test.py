#!/usr/bin/env python3
"""mockcloud's web page, driven in headless Chromium as a person would use it.

Starts a real mockcloud (--port 0, a temporary state folder, a DCR folder), opens its page and
checks, while uploads arrive: the items of an upload appear without a reload; a record that holds
markup is shown as text; the filter narrows the table; a fault added from the form answers the
next upload and the request log shows its status; the control plane's configurations and the
redirect switch. A screenshot of each view goes to $SCREENSHOT_DIR.

Environment: MOCKCLOUD_BINARY (the binary), DCR_FILE (a DCR for the control plane),
SCREENSHOT_DIR (where the screenshots go). Exits 77 (skipped) when selenium, Chromium or
chromedriver is missing: apt-get install chromium chromium-driver python3-selenium.

TLS: Chromium is told to accept exactly mockcloud's server key for this run
(--ignore-certificate-errors-spki-list with the SHA-256 of the key of <state>/server.pem), rather
than all certificates; the key is made for this temporary state folder and never leaves it.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
import zlib

SKIP = 77
VM = ("/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/"
      "virtualMachines/vm-1")
DATA_TYPE = "CONFIG_CHANGE_BLOB_V2"


def skip(reason):
    print(f"SKIPPED: {reason}", flush=True)
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:
    skip(f"python3-selenium is not installed for {sys.executable} ({error}); "
         "apt-get install python3-selenium")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
if not CHROMIUM:
    skip("Chromium is not installed (apt-get install chromium)")
if not CHROMEDRIVER:
    skip("chromedriver is not installed (apt-get install chromium-driver)")


def spki_sha256_base64(pem_file):
    """The base64 SHA-256 of a certificate's SubjectPublicKeyInfo, read from its DER."""
    with open(pem_file) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())

    def element(data, at):
        """(start of contents, end of element) of the DER element at `at`."""
        length = data[at + 1]
        head = 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[at + 2:at + 2 + count], "big")
            head += count
        return at + head, at + head + length

    tbs_start, _ = element(der, 0)            # Certificate ::= SEQUENCE { tbsCertificate, … }
    at, _ = element(der, tbs_start)            # tbsCertificate ::= SEQUENCE {
    if der[at] == 0xA0:                        #   [0] version,
        at = element(der, at)[1]
    for _ in range(5):                         #   serial, signature, issuer, validity, subject,
        at = element(der, at)[1]
    return base64.b64encode(hashlib.sha256(der[at:element(der, at)[1]]).digest()).decode()


class MockCloud:
    def __init__(self, binary, work):
        self.state = os.path.join(work, "state")
        dcrs = os.path.join(work, "dcrs")
        os.makedirs(dcrs)
        shutil.copy(os.environ["DCR_FILE"], dcrs)
        self.log = open(os.path.join(work, "mockcloud.log"), "w+")
        self.process = subprocess.Popen(
            [binary, "--state-dir", self.state, "--port", "0", "--dcr-dir", dcrs,
             "--threads", "2"], stdout=self.log, stderr=subprocess.STDOUT)
        port_file = os.path.join(self.state, "port")
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):  # the port file is mockcloud's "ready"
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mockcloud did not start:\n" + self.text_log())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = f"https://127.0.0.1:{self.port}"
        self.tls = ssl.create_default_context(cafile=os.path.join(self.state, "ca.pem"))

    def text_log(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def send(self, method, path, body=None, headers=None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls,
                                                 timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, method, path, body=None):
        status, data = self.send(method, path, body)
        assert status == 200, (status, data)
        return json.loads(data)

    def upload(self, items, request_id=None, data_type=DATA_TYPE):
        """An ODS upload as amahost sends it; returns the status and the request id."""
        status, data = self.send(
            "GET", VM + "/agentConfigurations/dcr-1/channels/ods-1/issueIngestionToken")
        assert status == 200, (status, data)
        token = json.loads(data)["ingestionAuthToken"]
        request_id = request_id or str(uuid.uuid4())
        body = json.dumps({"DataType": data_type, "IPName": "ChangeTracking",
                           "DataItems": items}).encode()
        status, _ = self.send("POST", "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01",
                              zlib.compress(body),
                              {"Content-Type": "application/json", "Content-Encoding": "deflate",
                               "Authorization": "Bearer " + token, "X-Request-ID": request_id,
                               "x-ms-AzureResourceId": VM})
        return status, request_id

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.log.close()


def main():
    binary = os.environ["MOCKCLOUD_BINARY"]
    shots = os.environ.get("SCREENSHOT_DIR", "screenshots")
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mockcloud-web-")
    cloud = MockCloud(binary, work)
    driver = None
    try:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1400,900", "--no-first-run",
                         f"--user-data-dir={os.path.join(work, 'chromium')}",
                         "--ignore-certificate-errors-spki-list=" +
                         spki_sha256_base64(os.path.join(cloud.state, "server.pem"))]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        run(driver, cloud, shots)
        print(f"PASSED; screenshots in {shots}", flush=True)
    except BaseException:
        print("mockcloud's log:\n" + cloud.text_log(), file=sys.stderr)
        if driver is not None:
            driver.save_screenshot(os.path.join(shots, "failure.png"))
            for entry in driver.get_log("browser"):
                print("browser:", entry, file=sys.stderr)
        raise
    finally:
        if driver is not None:
            driver.quit()
        status = cloud.stop()
        shutil.rmtree(work, ignore_errors=True)
    assert status == 0, f"mockcloud exited {status}"


def wait_for(driver, what, condition, timeout=20):
    """Waits until condition(driver) is truthy (retrying a stale element), or fails saying what."""
    def check(d):
        try:
            return condition(d)
        except StaleElementReferenceException:
            return False
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(check)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}") from None


def rows(driver, table_id):
    return driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")


def click_row(driver, table_id, index):
    """Clicks a row's first cell: a click on a wide row would scroll the table sideways."""
    rows(driver, table_id)[index].find_element(By.TAG_NAME, "td").click()


def cell_texts(driver, table_id):
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in rows(driver, table_id)]


def run(driver, cloud, shots):
    driver.get(cloud.url + "/")
    assert driver.title == "mockcloud", driver.title
    wait_for(driver, "the summary", lambda d: "0 items" in d.find_element(By.ID, "summary").text)
    driver.save_screenshot(os.path.join(shots, "1-empty.png"))

    # Items appear while the page is open, without a reload.
    hostile = '<img src=x id="injected"><script>window.pwned=1</script>'
    status, _ = cloud.upload([
        {"Computer": "vm1", "ConfigChangeType": "Software", "ChangeCategory": "Added",
         "SoftwareName": "alpha", "CurrentVersion": "1.0"},
        {"Computer": "vm1", "ConfigChangeType": "Software", "ChangeCategory": "Modified",
         "SoftwareName": "beta", "CurrentVersion": "2.1", "Previous": "2.0"},
        {"Computer": "vm2", "ConfigChangeType": "Daemons", "ChangeCategory": "Removed",
         "SvcName": "gamma.service", "SvcState": "Stopped"},
        {"Computer": "vm2", "ConfigChangeType": "Files", "ChangeCategory": "Added",
         "FileSystemPath": hostile, "Size": "12 KB", "Colour": "blue",
         "constructor": "a key that objects inherit"},
    ])
    assert status == 200, status
    wait_for(driver, "the DataType with 4 items", lambda d: any(
        li.get_attribute("data-type") == DATA_TYPE and li.text.endswith("4")
        for li in d.find_elements(By.CSS_SELECTOR, "#data-types li")))
    wait_for(driver, "4 rows", lambda d: len(rows(d, "items-table")) == 4)
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#items-table thead th")]
    for column in ["Computer", "ConfigChangeType", "SoftwareName", "SvcName", "FileSystemPath"]:
        assert column in headers, headers
    # Newest first: the record with markup is the first row, shown as text, never parsed.
    assert hostile in cell_texts(driver, "items-table")[0], cell_texts(driver, "items-table")[0]
    assert not driver.find_elements(By.ID, "injected")
    assert driver.execute_script("return window.pwned === undefined")
    driver.save_screenshot(os.path.join(shots, "2-items.png"))

    # A second upload arrives while we watch.
    status, _ = cloud.upload([{"Computer": "vm3", "ConfigChangeType": "Software",
                               "ChangeCategory": "Added", "SoftwareName": "beta-tools"}])
    assert status == 200, status
    wait_for(driver, "5 rows", lambda d: len(rows(d, "items-table")) == 5)

    # The filter narrows the table.
    driver.find_element(By.ID, "filter").send_keys("beta")
    wait_for(driver, "2 rows matching beta", lambda d: len(rows(d, "items-table")) == 2)
    assert all("beta" in " ".join(r) for r in cell_texts(driver, "items-table"))
    assert "2 of 5" in driver.find_element(By.ID, "items-note").text
    # One record's JSON on click.
    click_row(driver, "items-table", 1)
    wait_for(driver, "the record's JSON", lambda d: '"SoftwareName": "beta"' in
             d.find_element(By.ID, "item-json").text)
    driver.save_screenshot(os.path.join(shots, "3-items-filtered.png"))
    driver.find_element(By.ID, "filter").clear()
    driver.find_element(By.ID, "filter").send_keys(" ")  # clear() fires no input event
    wait_for(driver, "5 rows again", lambda d: len(rows(d, "items-table")) == 5)

    # Another DataType, chosen by a click, paged 50 at a time.
    status, _ = cloud.upload([{"Computer": f"vm{i}", "SoftwareName": f"package-{i}"}
                              for i in range(60)], data_type="CONFIG_DATA_BLOB_V2")
    assert status == 200, status
    wait_for(driver, "the second DataType", lambda d: len(
        d.find_elements(By.CSS_SELECTOR, '#data-types li[data-type="CONFIG_DATA_BLOB_V2"]')) == 1)
    driver.find_element(By.CSS_SELECTOR, '#data-types li[data-type="CONFIG_DATA_BLOB_V2"]').click()
    wait_for(driver, "the first page of 50", lambda d: len(rows(d, "items-table")) == 50 and
             "1–50 of 60" in d.find_element(By.ID, "page-info").text)
    assert cell_texts(driver, "items-table")[0][0] == "60"  # newest first
    driver.find_element(By.ID, "older").click()
    wait_for(driver, "the second page of 10", lambda d: len(rows(d, "items-table")) == 10 and
             "51–60 of 60" in d.find_element(By.ID, "page-info").text)
    assert cell_texts(driver, "items-table")[-1][0] == "1"
    assert not driver.find_element(By.ID, "older").is_enabled()
    driver.find_element(By.CSS_SELECTOR, f'#data-types li[data-type="{DATA_TYPE}"]').click()
    wait_for(driver, "5 rows again", lambda d: len(rows(d, "items-table")) == 5)

    # A fault added from the form answers the next upload.
    driver.find_element(By.ID, "tab-faults").click()
    Select(driver.find_element(By.ID, "fault-target")).select_by_value("ods")
    for field, value in [("fault-status", "503"), ("fault-count", "1"),
                         ("fault-retry-after", "7")]:
        driver.find_element(By.ID, field).clear()
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "add-fault").click()
    wait_for(driver, "the fault in the table", lambda d: len(rows(d, "faults-table")) == 1)
    fault = cell_texts(driver, "faults-table")[0]
    assert fault[1:5] == ["ods", "503", "1", "7"], fault
    assert "Added fault" in driver.find_element(By.ID, "fault-message").text
    faults = cloud.json("GET", "/_mock/faults")["faults"]
    assert len(faults) == 1 and faults[0]["status"] == 503, faults
    driver.save_screenshot(os.path.join(shots, "4-faults.png"))
    status, faulted_id = cloud.upload([{"Computer": "vm1", "SoftwareName": "delta"}])
    assert status == 503, status
    wait_for(driver, "the spent fault gone", lambda d: len(rows(d, "faults-table")) == 0)
    # A refused form says why.
    driver.find_element(By.ID, "fault-status").clear()
    driver.find_element(By.ID, "fault-status").send_keys("200")
    driver.find_element(By.ID, "add-fault").click()
    wait_for(driver, "the refusal", lambda d: "Refused" in
             d.find_element(By.ID, "fault-message").text)
    # Clear removes faults in force.
    cloud.json("POST", "/_mock/faults", json.dumps({"target": "token", "status": 500, "count": 5}))
    wait_for(driver, "the token fault", lambda d: len(rows(d, "faults-table")) == 1)
    driver.find_element(By.ID, "clear-faults").click()
    wait_for(driver, "no faults", lambda d: len(rows(d, "faults-table")) == 0)
    assert cloud.json("GET", "/_mock/faults")["faults"] == []

    # The request log shows the faulted upload on top, with its status and request id.
    driver.find_element(By.ID, "tab-requests").click()
    wait_for(driver, "4 requests", lambda d: len(rows(d, "requests-table")) == 4)
    newest = rows(driver, "requests-table")[0]
    assert newest.get_attribute("data-status") == "503"
    assert faulted_id in newest.text, newest.text
    oldest = cell_texts(driver, "requests-table")[3]
    assert "do not fit" in oldest[9] and "Colour" in oldest[9], oldest
    click_row(driver, "requests-table", 3)
    wait_for(driver, "the request's headers", lambda d: "Bearer <redacted>" in
             d.find_element(By.ID, "request-headers").text)
    assert '"unknownFields"' in driver.find_element(By.ID, "request-schema").text
    driver.save_screenshot(os.path.join(shots, "5-requests.png"))

    # The control plane: what an agent would be served, and the redirect switch.
    status, _ = cloud.send("GET", VM + "/agentConfigurations?platform=linux&api-version=2022-06-02")
    assert status == 200, status
    driver.find_element(By.ID, "tab-control").click()
    wait_for(driver, "a served configuration", lambda d: len(rows(d, "configurations-table")) >= 1)
    assert cell_texts(driver, "configurations-table")[0][2] == os.path.basename(os.environ["DCR_FILE"])
    assert not driver.find_element(By.ID, "redirect").is_selected()
    driver.find_element(By.ID, "redirect").click()
    wait_for(driver, "redirect mode on", lambda d: cloud.json("GET", "/_mock/redirect")["enabled"])
    driver.save_screenshot(os.path.join(shots, "6-control.png"))

    # The items view again, for the README: back to the page as a person would leave it.
    driver.find_element(By.ID, "tab-items").click()
    wait_for(driver, "5 rows", lambda d: len(rows(d, "items-table")) == 5)
    click_row(driver, "items-table", 2)
    wait_for(driver, "a record", lambda d: d.find_element(By.ID, "item-detail").is_displayed())
    driver.save_screenshot(os.path.join(shots, "7-items-record.png"))

    # Nothing was blocked or missing: no CSP violation, no failed load but the fault refused on
    # purpose above.
    problems = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and not (
        "/_mock/faults" in e.get("message", "") and "status of 400" in e.get("message", ""))]
    assert not problems, problems


if __name__ == "__main__":
    main()
