# ruff: noqa: RUF005
"""A deterministic corpus of benign traffic for measuring a WAF's false positives.

Browser page loads with typical headers and analytics/session cookies, search queries full of apostrophes and
SQL-ish English ("select a plan", "drop-down menu", "O'Brien", "union station"), words that are also Unix commands
("cat food", "python tutorial", "time management tips"), quoted exact phrases and possessives ('"red dress"',
"kids' shoes"), prose with parentheses and Markdown code spans, form posts (sign-up, login,
comments, addresses, checkout), JSON APIs (orders, profiles, search filters, batch updates), and multipart
uploads of small files. Everything comes from fixed word lists and one seeded PRNG: the same requests every run.
"""

from __future__ import annotations

import json
import random
from urllib.parse import quote, quote_plus, urlencode

from strongroom.waf.request import WafRequest

UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
]
NAMES = ["O'Brien", "D'Angelo", "Mary-Jane Watson", "José Núñez", "Zoë Smith", "Li Wei", "Anne-Marie O'Neil", "Chloé"]
SEARCHES = [
    "select a plan",
    "drop-down menu not working",
    "union station parking",
    "how to update my address",
    "O'Brien's pub opening hours",
    "where is the delete button",
    "insert coin machine",
    "best script for wedding speech",
    "table for 2 tonight",
    "order by price low to high",
    "what's new in version 2.0",
    "1 or 2 bedroom apartment",
    "can't log in",
    "rock 'n' roll t-shirts",
    "50% off sale",
    "c++ vs java",
    "from paris to london",
    "and/or usage",
    "where to buy a drop leaf table",
    "it's a match!",
    "don't select this option",
    "exec summary template",
    "alert settings for my account",
    "sleep tracker watch",
    "admin assistant jobs",
    "cat food",
    "echo dot speaker",
    "javascript tutorial for beginners",
    "group by date in excel",
    "the union of two sets",
    # words that are also Unix commands, quoted exact phrases, possessives, '&' in names
    "python tutorial",
    "time management tips",
    "tail light replacement",
    "ping pong table",
    "java developer jobs",
    "head and shoulders shampoo",
    "less sugar recipes",
    "more info on returns",
    "ruby wedding anniversary gifts",
    "python 3.12 release notes",
    "find my order",
    "date night ideas",
    "nc state hoodie",
    "make up brushes set",
    "who am i quiz",
    '"red dress"',
    '"o\'brien" plumbing',
    "'summer sale'",
    "time & attendance software",
    "echo & the bunnymen tickets",
    "kids' shoes",
    "size: M | color: navy",
]
PHRASES = [
    "Great product, arrived on time",
    "I'd like to update my delivery address",
    "Please select the blue one if it's still in stock",
    "The drop-down on the checkout page didn't load on my phone",
    "We met at Union Station and took the 5 o'clock train",
    "Can you delete my old account? I created a new one",
    "Order #4521 was missing one item",
    "Where do I insert the batteries?",
    "Thanks for the quick reply, it works now",
    "The script for the school play was fantastic",
    "Between you and me, the old version was better",
    "Is there a plan for teams of 10 or more?",
    "My son's teacher, Mrs. O'Connor, recommended this book",
    "Joined the group last week; loving it so far",
    "Set an alert when the price drops below $50",
    "The table arrived with a scratch on the left side",
    "I can't find the 'order history' link anymore",
    "Having trouble logging in from Firefox",
    "Love it! 5/5 would buy again :)",
    "Like the new design, but the font is a bit small",
    "When will the summer sale end?",
    "Case closed, thank you for your help",
    "Please ship to my office instead, from Monday to Friday 9-5",
    "The union of our two teams made this project possible",
    "Rock & roll never dies",
    "The price is (roughly) $50 cheaper elsewhere",
    "Comes in red or blue(ish) tones",
    "Run `npm install` and then `npm start`",
    "James' order arrived today",
    "Works fine on Python 3.12 (tested on macOS)",
    "Cat food arrived; the cat loves it",
    "Ordered the 2-pack (not the 3-pack) by mistake",
    "Arrived 2 days late :( but works",
]
CITIES = ["Dublin", "Boston", "São Paulo", "Zürich", "Kraków", "New York", "St. John's", "Port-au-Prince"]
PATHS = [
    "/",
    "/products",
    "/products/42",
    "/blog/2024/05/hello-world",
    "/account/settings",
    "/cart",
    "/search",
    "/static/app.3f9a1c.js",
    "/static/styles.css",
    "/images/logo.png",
    "/docs/getting-started",
    "/api/v1/items",
]


def _browser_headers(rng: random.Random, host: str = "shop.example.com") -> list[tuple[str, str]]:
    cookies = (
        f"_ga=GA1.2.{rng.randint(10**8, 10**9)}.{rng.randint(10**9, 2 * 10**9)}; "
        f"sessionid={rng.getrandbits(128):032x}; theme={rng.choice(['dark', 'light'])}; "
        f"consent=analytics%3Dtrue%26ads%3Dfalse"
    )
    return [
        ("Host", host),
        ("User-Agent", rng.choice(UAS)),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        ("Accept-Language", rng.choice(["en-US,en;q=0.9", "fr-FR,fr;q=0.8,en;q=0.5", "de-DE,de;q=0.9"])),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("Referer", f"https://{host}{rng.choice(PATHS)}"),
        ("Cookie", cookies),
        ("Connection", "keep-alive"),
    ]


def _sentence(rng: random.Random, n: int) -> str:
    """Realistic free text: n // 10 + 1 phrases (reviews, support notes, comments)."""
    return ". ".join(rng.choice(PHRASES) for _ in range(n // 10 + 1)) + rng.choice([".", "!", "", "..."])


def _page(rng: random.Random) -> WafRequest:
    path = rng.choice(PATHS)
    query = ""
    if rng.random() < 0.4:
        query = urlencode(
            {
                "page": rng.randint(1, 20),
                "sort": rng.choice(["price", "-date", "name"]),
                "utm_source": rng.choice(["newsletter", "google", "twitter"]),
            }
        )
    return WafRequest("GET", path, query, tuple(_browser_headers(rng)))


def _search(rng: random.Random) -> WafRequest:
    q = rng.choice(SEARCHES)
    if rng.random() < 0.3:
        q = f"{q} {rng.choice(NAMES)}"
    params = {"q": q, "category": rng.choice(["all", "books", "home & garden", "men's shoes"])}
    enc = quote_plus if rng.random() < 0.5 else quote
    return WafRequest("GET", "/search", urlencode(params, quote_via=enc), tuple(_browser_headers(rng)))


def _form(rng: random.Random) -> WafRequest:
    name = rng.choice(NAMES)
    kind = rng.randrange(4)
    if kind == 0:
        fields = {
            "name": name,
            "email": f"{name.split()[0].lower().replace(chr(39), '')}@example.com",
            "password": f"Tr0ub4dor&{rng.randint(0, 999)}",
            "plan": rng.choice(["basic", "pro", "team"]),
            "agree": "on",
        }
        path = "/signup"
    elif kind == 1:
        fields = {
            "author": name,
            "comment": _sentence(rng, rng.randint(5, 40)),
            "redirect": f"https://blog.example.com/post/{rng.randint(1, 999)}#comments",
        }
        path = "/comments"
    elif kind == 2:
        fields = {
            "full_name": name,
            "street": f"{rng.randint(1, 300)} {rng.choice(['Main St', 'Elm Rd', 'Rue de la Paix'])}",
            "city": rng.choice(CITIES),
            "zip": f"{rng.randint(10000, 99999)}",
            "phone": f"+1 (555) {rng.randint(100, 999)}-0100",
            "notes": rng.choice(["Leave at the back door", "Ring twice; dog's friendly", "N/A", "Apt. #4 - 2nd floor"]),
        }
        path = "/checkout/address"
    else:
        fields = {
            "username": name.split()[0],
            "password": f"correct horse battery {rng.randint(0, 99)}",
            "remember": "1",
            "next": "/account/orders?status=open",
        }
        path = "/login"
    body = urlencode(fields).encode()
    headers = _browser_headers(rng) + [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", str(len(body))),
        ("Origin", "https://shop.example.com"),
    ]
    return WafRequest("POST", path, "", tuple(headers), body)


def _json_api(rng: random.Random) -> WafRequest:
    kind = rng.randrange(4)
    if kind == 0:
        doc: object = {
            "items": [
                {"sku": f"SKU-{rng.randint(1000, 9999)}", "qty": rng.randint(1, 5)} for _ in range(rng.randint(1, 4))
            ],
            "coupon": rng.choice([None, "SPRING-10", "WELCOME"]),
            "gift_note": _sentence(rng, 8),
        }
        method, path = "POST", "/api/v1/orders"
    elif kind == 1:
        doc = {
            "display_name": rng.choice(NAMES),
            "bio": _sentence(rng, 20),
            "timezone": "Europe/Dublin",
            "preferences": {"newsletter": rng.random() < 0.5, "language": "en"},
        }
        method, path = "PATCH", f"/api/v1/users/{rng.randint(1, 10**6)}"
    elif kind == 2:
        doc = {
            "query": rng.choice(SEARCHES),
            "filters": {"price": {"gte": 10, "lte": 250}, "in_stock": True},
            "sort": [{"field": "created_at", "order": "desc"}],
            "page": {"size": 20, "cursor": None},
        }
        method, path = "POST", "/api/v1/search"
    else:
        doc = [
            {"op": "replace", "path": f"/tasks/{i}/status", "value": rng.choice(["done", "todo", "blocked"])}
            for i in range(rng.randint(1, 6))
        ]
        method, path = "POST", "/api/v1/tasks/batch"
    body = json.dumps(doc).encode()
    headers = [
        ("Host", "api.example.com"),
        ("User-Agent", rng.choice(UAS + ["okhttp/4.12.0", "MyApp/3.2 (iOS 17.4)"])),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("Authorization", f"Bearer eyJhbGciOiJIUzI1NiJ9.{rng.getrandbits(160):040x}.sig"),
        ("Content-Length", str(len(body))),
        ("X-Request-Id", f"{rng.getrandbits(64):016x}"),
    ]
    return WafRequest(method, path, "", tuple(headers), body)


def _upload(rng: random.Random) -> WafRequest:
    boundary = f"----WebKitFormBoundary{rng.getrandbits(64):016x}"
    name, ctype, content = rng.choice(
        [
            (
                "notes.txt",
                "text/plain",
                ("Meeting notes: select a vendor; update the plan.\n" * rng.randint(1, 20)).encode(),
            ),
            (
                "photo.png",
                "image/png",
                b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(rng.randint(200, 3000))),
            ),
            (
                "report.csv",
                "text/csv",
                (
                    "id,name,amount\n"
                    + "".join(f"{i},{rng.choice(NAMES)},{rng.randint(1, 900)}.00\n" for i in range(30))
                ).encode(),
            ),
        ]
    )
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{_sentence(rng, 4)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = _browser_headers(rng) + [
        ("Content-Type", f"multipart/form-data; boundary={boundary}"),
        ("Content-Length", str(len(body))),
    ]
    return WafRequest("POST", "/uploads", "", tuple(headers), body)


def benign_requests(n: int = 2400, seed: int = 19) -> list[WafRequest]:
    rng = random.Random(seed)
    makers = [_page, _page, _search, _search, _form, _json_api, _upload]
    return [makers[i % len(makers)](rng) for i in range(n)]
