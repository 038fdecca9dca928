#!/usr/bin/env python3
"""The peer: an initial Dataverse-to-SQLite sync written the way a user would write it.

requests for HTTP (one session, so keep-alive), json for the pages, sqlite3 executemany in one
transaction. It writes the same table as dvsync's mirror (same columns, same keys) so that the
benchmark compares the syncing, not the schema, and keeps the delta link for a later run. It does
no retries, no staging and no crash safety: what a quick script does.

  DVSYNC_CLIENT_SECRET=... python_sync.py --url URL --authority URL --tenant T --client-id ID --db FILE
"""
import argparse
import os
import sqlite3

import requests


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True, help="Dataverse organization URL")
    p.add_argument("--authority", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--page-size", type=int, default=5000)
    args = p.parse_args()

    session = requests.Session()
    token = session.post(
        f"{args.authority}/{args.tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": args.client_id,
            "client_secret": os.environ["DVSYNC_CLIENT_SECRET"],
            "scope": f"{args.url}/.default",
        },
        timeout=60,
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "OData-MaxVersion": "4.0",
        "OData-Version": "4.0",
        "Prefer": f"odata.track-changes,odata.maxpagesize={args.page_size}",
    }

    db = sqlite3.connect(args.db)
    db.execute(
        "CREATE TABLE IF NOT EXISTS sample_book (sample_bookcode TEXT PRIMARY KEY NOT NULL, "
        "sample_bookid TEXT NOT NULL UNIQUE, sample_name, sample_author, dvsync_version INTEGER) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE IF NOT EXISTS sync_state (entity_set TEXT PRIMARY KEY, delta_link TEXT)")

    url = f"{args.url}/api/data/v9.2/sample_books?$select=sample_name,sample_bookcode,sample_author"
    rows = 0
    with db:  # one transaction
        while url:
            r = session.get(url, headers=headers, timeout=120)
            r.raise_for_status()
            page = r.json()
            batch = [
                (v["sample_bookcode"], v["sample_bookid"], v["sample_name"], v["sample_author"],
                 int(v["@odata.etag"][3:-1]))
                for v in page["value"]
            ]
            db.executemany("INSERT OR REPLACE INTO sample_book VALUES (?, ?, ?, ?, ?)", batch)
            rows += len(batch)
            url = page.get("@odata.nextLink")
            if "@odata.deltaLink" in page:
                db.execute("INSERT OR REPLACE INTO sync_state VALUES ('sample_books', ?)", (page["@odata.deltaLink"],))
    db.close()
    print(f"python peer: {rows} rows")


if __name__ == "__main__":
    main()
