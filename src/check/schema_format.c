/* schema_format.c: "format" values, checked only when format assertion is
 * on (by default "format" is an annotation). Hand-written scanners, no
 * regexes: each reads its RFC's grammar left to right in one pass.
 *
 *   date-time, date, time  RFC 3339 section 5.6 (leap second only at 23:59:60 UTC)
 *   email                  RFC 5321 simplified: dot-atom or quoted local part,
 *                          hostname or [address literal]
 *   uri                    RFC 3986 absolute URI: scheme and allowed characters
 *   uuid                   RFC 4122 8-4-4-4-12 hex digits
 *   ipv4                   RFC 2673 dotted quad, no leading zeros
 *   ipv6                   RFC 4291 section 2.2, with "::" and an IPv4 tail
 *   hostname               RFC 1123 labels */
#include <string.h>

#include "check/schema_int.h"

/* ASCII classes, locale-free and inlined. */
static inline int is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(int c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline int is_alnum(int c) { return is_digit(c) || is_alpha(c); }
static inline int is_xdigit(int c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

static const char *const format_names[] = {
	NULL, "date-time", "date", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname",
};

int schema_format_parse(const char *name)
{
	for (int i = 1; i < (int)(sizeof(format_names) / sizeof(*format_names)); i++)
		if (!strcmp(format_names[i], name))
			return i;
	return SF_NONE;  /* unknown formats are annotations */
}

/* Reads exactly n digits at *p as a number; -1 when they are not there. */
static int digits(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!is_digit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static int expect(const char **p, const char *end, char ch)
{
	if (*p < end && **p == ch) {
		(*p)++;
		return 1;
	}
	return 0;
}

static int scan_date(const char **p, const char *end)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, max;

	if ((y = digits(p, end, 4)) < 0 || !expect(p, end, '-') || (m = digits(p, end, 2)) < 0 ||
	    !expect(p, end, '-') || (d = digits(p, end, 2)) < 0)
		return 0;
	if (m < 1 || m > 12 || d < 1)
		return 0;
	max = days[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* full-time: hh:mm:ss[.frac](Z|+hh:mm|-hh:mm) */
static int scan_time(const char **p, const char *end)
{
	int h, m, s, oh = 0, om = 0, sign = 0;

	if ((h = digits(p, end, 2)) < 0 || !expect(p, end, ':') || (m = digits(p, end, 2)) < 0 ||
	    !expect(p, end, ':') || (s = digits(p, end, 2)) < 0)
		return 0;
	if (expect(p, end, '.')) {
		const char *start = *p;

		while (*p < end && is_digit((unsigned char)**p))
			(*p)++;
		if (*p == start)
			return 0;
	}
	if (*p < end && (**p == 'Z' || **p == 'z')) {
		(*p)++;
	} else if (*p < end && (**p == '+' || **p == '-')) {
		sign = **p == '+' ? 1 : -1;
		(*p)++;
		if ((oh = digits(p, end, 2)) < 0 || !expect(p, end, ':') ||
		    (om = digits(p, end, 2)) < 0 || oh > 23 || om > 59)
			return 0;
	} else {
		return 0;
	}
	if (h > 23 || m > 59 || s > 60)
		return 0;
	if (s == 60) {
		/* a leap second is 23:59:60 in UTC */
		int utc = (h * 60 + m - sign * (oh * 60 + om) + 2 * 1440) % 1440;

		if (utc != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

static int check_date_time(const char *p, const char *end, int f)
{
	if (f == SF_DATE)
		return scan_date(&p, end) && p == end;
	if (f == SF_TIME)
		return scan_time(&p, end) && p == end;
	if (!scan_date(&p, end) || p >= end || (*p != 'T' && *p != 't'))
		return 0;
	p++;
	return scan_time(&p, end) && p == end;
}

static int check_ipv4(const char *p, const char *end)
{
	for (int part = 0; part < 4; part++) {
		int v = 0, n = 0;

		if (part && !expect(&p, end, '.'))
			return 0;
		while (p < end && is_digit((unsigned char)*p) && n < 4) {
			if (n == 1 && v == 0)
				return 0;  /* leading zero */
			v = v * 10 + (*p++ - '0');
			n++;
		}
		if (n == 0 || n > 3 || v > 255)
			return 0;
	}
	return p == end;
}

static int check_ipv6(const char *p, const char *end)
{
	int groups = 0, gap = 0;

	if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
		gap = 1;
		p += 2;
	} else if (p < end && *p == ':') {
		return 0;
	}
	while (p < end) {
		const char *start = p;
		int n = 0;

		while (p < end && is_xdigit((unsigned char)*p) && n < 5)
			p++, n++;
		if (p < end && *p == '.') {
			/* an IPv4 tail stands for two groups */
			return check_ipv4(start, end) && (gap ? groups + 2 <= 7 : groups + 2 == 8);
		}
		if (n == 0 || n > 4)
			return 0;
		groups++;
		if (p == end)
			break;
		if (*p != ':')
			return 0;
		p++;
		if (p < end && *p == ':') {
			if (gap)
				return 0;
			gap = 1;
			p++;
			if (p == end)
				break;
		} else if (p == end) {
			return 0;  /* a single trailing ':' */
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

static int check_hostname(const char *p, const char *end)
{
	size_t total = (size_t)(end - p);

	if (total == 0 || total > 253)
		return 0;
	while (p < end) {
		const char *start = p;

		while (p < end && (is_alnum((unsigned char)*p) || *p == '-'))
			p++;
		if (p == start || p - start > 63 || *start == '-' || p[-1] == '-')
			return 0;
		if (p < end && (*p != '.' || p + 1 == end))
			return 0;
		if (p < end)
			p++;
	}
	return 1;
}

static int is_atext(int ch)
{
	return is_alnum(ch) || (ch && strchr("!#$%&'*+-/=?^_`{|}~", ch));
}

static int check_email(const char *p, const char *end)
{
	const char *at = NULL;

	if (p < end && *p == '"') {
		/* quoted-string local part */
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\' && ++p == end)
				return 0;
		if (p >= end)
			return 0;
		at = ++p;
	} else {
		const char *start = p;

		while (p < end && *p != '@') {
			if (*p == '.' && (p == start || p[-1] == '.'))
				return 0;
			if (*p != '.' && !is_atext((unsigned char)*p))
				return 0;
			p++;
		}
		if (p == start || p[-1] == '.' || p - start > 64)
			return 0;
		at = p;
	}
	if (at >= end || *at != '@')
		return 0;
	p = at + 1;
	if (p < end && *p == '[' && end[-1] == ']') {
		if (end - p > 6 && !strncmp(p + 1, "IPv6:", 5))
			return check_ipv6(p + 6, end - 1);
		return check_ipv4(p + 1, end - 1);
	}
	return check_hostname(p, end);
}

static int check_uri(const char *p, const char *end)
{
	const char *start = p;
	int hashes = 0;

	if (p == end || !is_alpha((unsigned char)*p))
		return 0;
	while (p < end && (is_alnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
		p++;
	if (p == end || *p != ':' || p == start)
		return 0;
	for (p++; p < end; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '%') {
			if (end - p < 3 || !is_xdigit((unsigned char)p[1]) || !is_xdigit((unsigned char)p[2]))
				return 0;
			p += 2;
		} else if (ch == '#') {
			if (++hashes > 1)
				return 0;
		} else if (!is_alnum(ch) && !strchr("-._~!$&'()*+,;=:@/?[]", ch)) {
			return 0;  /* spaces, quotes, <>, \, ^, `, {|}, and non-ASCII */
		}
	}
	return 1;
}

/* 1 for the 22 hex digit bytes. */
static const unsigned char hex_tab[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

static int check_uuid(const char *p, const char *end)
{
	unsigned bad = 0;

	if (end - p != 36 || p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-')
		return 0;
	/* no early exit: a branch-free sweep is faster for 32 bytes */
	for (int i = 0; i < 36; i++)
		bad |= !hex_tab[(unsigned char)p[i]] & !(i == 8 || i == 13 || i == 18 || i == 23);
	return !bad;
}

int schema_format_check(int f, const char *s, size_t len)
{
	const char *end = s + len;

	switch (f) {
	case SF_DATE_TIME:
	case SF_DATE:
	case SF_TIME:
		return check_date_time(s, end, f);
	case SF_EMAIL:
		return check_email(s, end);
	case SF_URI:
		return check_uri(s, end);
	case SF_UUID:
		return check_uuid(s, end);
	case SF_IPV4:
		return check_ipv4(s, end);
	case SF_IPV6:
		return check_ipv6(s, end);
	case SF_HOSTNAME:
		return check_hostname(s, end);
	default:
		return 1;
	}
}
