/* html.c: writing pages: a capped buffer, escaping, the layout and the
 * stylesheet. Every string that is not a literal of this module goes
 * through html_text or html_url. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/web.h"

const char web_css[] =
	":root{--fg:#1d232a;--mute:#5c6670;--line:#d9dee3;--bg:#f6f7f9;--card:#fff;"
	"--ok:#1f7a3d;--okbg:#e3f4e8;--bad:#a4262c;--badbg:#fbe4e5;--wait:#8a5a00;"
	"--waitbg:#fff1cc;--info:#1d4f91;--infobg:#e2ecfa}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"color:var(--fg);background:var(--bg)}\n"
	"header{background:#1d232a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;"
	"align-items:center}\n"
	"header b{font-size:1.05rem;margin-right:1rem}\n"
	"header a{color:#cfd6dd;text-decoration:none;padding:.2rem .4rem;border-radius:4px}\n"
	"header a.on,header a:hover{color:#fff;background:#37414b}\n"
	"header .tag{margin-left:auto;color:#9aa5b0;font-size:.85rem}\n"
	"main{max-width:1200px;margin:0 auto;padding:1rem 1.2rem 3rem}\n"
	"h1{font-size:1.35rem;margin:.4rem 0 1rem}h2{font-size:1.05rem;margin:1.6rem 0 .5rem}\n"
	"table{border-collapse:collapse;width:100%;background:var(--card);"
	"border:1px solid var(--line)}\n"
	"th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);"
	"vertical-align:top}\n"
	"th{background:#eef1f4;font-weight:600;font-size:.85rem;color:var(--mute)}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.ev{overflow-wrap:anywhere;min-width:18rem}.t{white-space:nowrap}\n"
	"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.85rem}\n"
	"pre{background:#fbfbfc;border:1px solid var(--line);padding:.6rem;overflow:auto;"
	"max-height:28rem;white-space:pre-wrap;word-break:break-word;margin:.3rem 0}\n"
	".badge{display:inline-block;padding:.05rem .45rem;border-radius:9px;font-size:.8rem;"
	"font-weight:600;background:#eceff2;color:var(--mute)}\n"
	".b-shipped,.b-done,.b-pass,.b-approved,.b-met{background:var(--okbg);color:var(--ok)}\n"
	".b-verified{background:var(--infobg);color:var(--info)}\n"
	".b-waiting,.b-running,.b-candidate{background:var(--waitbg);color:var(--wait)}\n"
	".b-rejected,.b-failed,.b-FAIL,.b-missed{background:var(--badbg);color:var(--bad)}\n"
	".card{background:var(--card);border:1px solid var(--line);border-radius:6px;"
	"padding:.8rem 1rem;margin:0 0 1rem}\n"
	".meta{color:var(--mute);font-size:.88rem}\n"
	".notice{background:var(--okbg);border:1px solid #b7e0c3;padding:.6rem .8rem;"
	"border-radius:6px;margin-bottom:1rem}\n"
	".error{background:var(--badbg);border:1px solid #efb9bc;padding:.6rem .8rem;"
	"border-radius:6px}\n"
	"form.filters{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end;margin-bottom:.8rem}\n"
	"label{display:flex;flex-direction:column;font-size:.8rem;color:var(--mute);gap:.15rem}\n"
	"input,select,textarea{font:inherit;padding:.3rem .4rem;border:1px solid #b9c1c9;"
	"border-radius:4px;background:#fff}\n"
	"textarea{width:100%;min-height:3.2rem}\n"
	"button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid #8893a0;"
	"background:#fff;cursor:pointer}\n"
	"button.approve{background:var(--ok);border-color:var(--ok);color:#fff}\n"
	"button.reject{background:#fff;border-color:var(--bad);color:var(--bad)}\n"
	".decide{display:grid;grid-template-columns:14rem 1fr auto;gap:.6rem;align-items:end;"
	"margin-top:.6rem}\n"
	".decide .buttons{display:flex;gap:.4rem}\n"
	".pager{margin-top:.8rem;display:flex;gap:1rem}\n"
	"ul.checks{margin:.3rem 0;padding-left:1.2rem}\n"
	"a{color:#1d4f91}\n"
	"table.trace td{padding:.2rem .5rem;font-size:.85rem}\n"
	"table.trace td.name,table.trace td.num{white-space:nowrap}\n"
	"td.d1{padding-left:1.4rem!important}td.d2{padding-left:2.6rem!important}\n"
	"td.d3{padding-left:3.8rem!important}td.d4{padding-left:5rem!important}\n"
	"td.d5{padding-left:6.2rem!important}\n"
	".wf{width:38%;min-width:12rem}th.wf .scale{float:right}\n"
	"svg.bar{display:block;width:100%;height:.8rem;background:#eef1f4}\n"
	"rect.k-run{fill:#37414b}rect.k-step{fill:#1d4f91}rect.k-call{fill:#1f7a3d}\n"
	"rect.k-attempt{fill:#6fae84}rect.k-check{fill:#8a5a00}rect.k-failed{fill:#a4262c}\n"
	"tr.span.failed td{background:var(--badbg)}\n"
	"mark{background:#ffe27a;color:inherit;outline:1px solid #e0b400}\n"
	"strong.quote{background:#ffc83d;text-decoration:underline 2px #8a5a00}\n"
	".changed{background:var(--waitbg);border:1px solid #f0d68a;padding:.5rem .7rem;"
	"border-radius:6px}\n"
	"section.chain{border-top:2px solid var(--line);margin-top:1.4rem}\n";

void html_init(struct html *h, size_t max)
{
	memset(h, 0, sizeof(*h));
	h->max = max;
}

void html_release(struct html *h)
{
	free(h->s);
	memset(h, 0, sizeof(*h));
}

static int html_grow(struct html *h, size_t more)
{
	size_t want = h->len + more + 1, cap;
	char *s;

	if (h->failed)
		return -1;
	if (want <= h->cap)
		return 0;
	if (want > h->max) {
		h->failed = 1;
		return -1;
	}
	cap = h->cap ? h->cap : 4096;
	while (cap < want)
		cap *= 2;
	if (cap > h->max)
		cap = h->max;
	s = realloc(h->s, cap);
	if (!s) {
		h->failed = 1;
		return -1;
	}
	h->s = s;
	h->cap = cap;
	return 0;
}

static void html_put(struct html *h, const char *s, size_t n)
{
	if (html_grow(h, n) < 0)
		return;
	memcpy(h->s + h->len, s, n);
	h->len += n;
	h->s[h->len] = '\0';
}

void html_raw(struct html *h, const char *s)
{
	html_put(h, s, strlen(s));
}

void html_rawf(struct html *h, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		h->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		html_put(h, small, (size_t)n);
		return;
	}
	if (html_grow(h, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(h->s + h->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	h->len += (size_t)n;
}

void html_textn(struct html *h, const char *s, size_t n)
{
	size_t run = 0;
	char esc[8];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", c);
				rep = esc;
			}
		}
		if (!rep)
			continue;
		html_put(h, s + run, i - run);
		html_raw(h, rep);
		run = i + 1;
	}
	html_put(h, s + run, n - run);
}

void html_text(struct html *h, const char *s)
{
	html_textn(h, s, strlen(s));
}

void html_url(struct html *h, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~')
			html_put(h, (const char *)p, 1);
		else
			html_put(h, e, 3);
	}
}

void html_badge(struct html *h, const char *word)
{
	html_raw(h, "<span class=\"badge b-");
	html_text(h, word);
	html_raw(h, "\">");
	html_text(h, word);
	html_raw(h, "</span>");
}

void html_time(struct html *h, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char out[32];

	localtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S", &tm);
	html_raw(h, "<span class=\"t\">");
	html_raw(h, out);
	html_raw(h, "</span>");
}

void html_page_start(struct html *h, const char *title, const char *active)
{
	static const char *const nav[][2] = {
		{ "/runs", "Runs" }, { "/queue", "Approval queue" }, { "/failures", "Failures" },
		{ "/evals", "Evals" },
	};

	html_raw(h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	            "<title>");
	html_text(h, title);
	html_raw(h, " · warrant</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
	            "</head><body><header><b>warrant</b>");
	for (size_t i = 0; i < sizeof(nav) / sizeof(*nav); i++)
		html_rawf(h, "<a href=\"%s\"%s>%s</a>", nav[i][0],
		          !strcmp(active, nav[i][0]) ? " class=\"on\"" : "", nav[i][1]);
	html_raw(h, "<span class=\"tag\">models generate, checks decide</span></header><main>");
}

void html_page_end(struct html *h)
{
	html_raw(h, "</main></body></html>\n");
}

int page_error(struct html *h, int status, const char *title, const char *msg)
{
	h->len = 0;
	h->failed = 0;
	if (h->s)
		h->s[0] = '\0';
	html_page_start(h, title, "");
	html_raw(h, "<h1>");
	html_text(h, title);
	html_raw(h, "</h1><p class=\"error\">");
	html_text(h, msg);
	html_raw(h, "</p>");
	html_page_end(h);
	return status;
}
