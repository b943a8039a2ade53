import re

from tests.conftest import Gateway


async def test_the_console_page_is_served_with_a_policy_that_only_trusts_the_gateway(
    gateway: Gateway,
):
    async with gateway.session.get(f"{gateway.url}/console") as page:
        assert page.status == 200
        assert page.content_type == "text/html"
        html = await page.text()
        policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert '<script type="module" src="/console/static/js/app.js">' in html


async def test_every_asset_the_page_loads_is_served_and_uses_only_the_public_graphql_api(
    gateway: Gateway,
):
    urls = ["/console/static/js/app.js"]
    seen: set[str] = set()
    sources = []
    while urls:
        url = urls.pop()
        if url in seen:
            continue
        seen.add(url)
        async with gateway.session.get(f"{gateway.url}{url}") as asset:
            assert asset.status == 200, url
            # a module script must come with a JavaScript MIME type or the browser refuses it
            assert asset.content_type in {"text/javascript", "application/javascript"}, url
            text = await asset.text()
        sources.append(text)
        base = url.rsplit("/", 1)[0]
        for relative in re.findall(r"""from ["'](\.{1,2}/[^"']+)["']""", text):
            parts = f"{base}/{relative}".split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part != ".":
                    resolved.append(part)
            urls.append("/".join(resolved))
    assert "/console/static/vendor/graphql-ws/client.js" in seen
    fetched = {u for text in sources for u in re.findall(r"""fetch\(["']([^"']+)""", text)}
    assert fetched == {"/graphql"}


async def test_files_outside_the_console_folder_are_not_served(gateway: Gateway):
    for path in ("/console/static/../__init__.py", "/console/static/%2e%2e/__init__.py"):
        async with gateway.session.get(f"{gateway.url}{path}") as answer:
            assert answer.status in (403, 404), path


async def test_the_analytics_page_is_served_with_the_same_policy_and_a_vendored_chart_library(
    gateway: Gateway,
):
    async with gateway.session.get(f"{gateway.url}/console/analytics") as page:
        assert page.status == 200
        assert page.content_type == "text/html"
        html = await page.text()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<script type="module" src="/console/static/js/analytics.js">' in html
    assert '<script src="/console/static/vendor/chartjs/chart.umd.js">' in html
    for asset in ("vendor/chartjs/chart.umd.js", "vendor/chartjs/LICENSE.md", "js/analytics.js"):
        async with gateway.session.get(f"{gateway.url}/console/static/{asset}") as answer:
            assert answer.status == 200, asset
    async with gateway.session.get(f"{gateway.url}/console/static/js/analytics.js") as script:
        assert re.findall(r"""fetch\(["']([^"']+)""", await script.text()) == []
