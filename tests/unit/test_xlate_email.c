/*
 * Unit tests of xlate/email: email address for federation both ways and
 * domain aliases, against a config built here.
 */
#include "tests/unit/xl_cases.h"

#include "core/config.h"
#include "xlate/addr.h"
#include "xlate/email.h"

static struct cfg_domain domains[] = {
	{ .kind = DOMAIN_LOCAL, .name = "contoso.com" },
	{ .kind = DOMAIN_EMAIL, .name = "contoso-mail.com" },
	{ .kind = DOMAIN_REMOTE, .name = "aol.com" },
	{ .kind = DOMAIN_ALIAS, .name = "aim.com", .target = "aol.com" },
};
static struct cfg_email emails[] = {
	{ .local_id = "alice@contoso.com", .email = "alice.smith@contoso-mail.com" },
	{ .local_id = "bob@contoso.com", .email = "bob.jones@contoso-mail.com" },
};
static struct config cfg = {
	.domains = domains, .ndomains = 4,
	.email_map = emails, .nemail_map = 2,
};

struct row {
	int		 on;		/* email_for_federation */
	const char	*in;		/* JID */
	int		 rc;
	const char	*out;		/* JID (full) */
};

static const struct row out_rows[] = {
	{ 1, "alice@contoso.com", 0, "alice.smith@contoso-mail.com" },
	{ 1, "alice@contoso.com/desk", 0, "alice.smith@contoso-mail.com/desk" },
	{ 1, "Bob@Contoso.com", 0, "bob.jones@contoso-mail.com" },
	{ 1, "carol@contoso.com", 0, "carol@contoso.com" },
	{ 0, "alice@contoso.com", 0, "alice@contoso.com" },
};

static const struct row in_rows[] = {
	{ 1, "alice.smith@contoso-mail.com", 0, "alice@contoso.com" },
	{ 1, "alice.smith@contoso-mail.com/x", 0, "alice@contoso.com/x" },
	{ 1, "ALICE.SMITH@contoso-mail.com", 0, "alice@contoso.com" },
	{ 1, "alice@contoso.com", XL_E_REFUSED },
	{ 1, "bob@contoso.com/phone", XL_E_REFUSED },
	{ 1, "nobody@contoso-mail.com", XL_E_NOTFOUND },
	{ 1, "carol@contoso.com", 0, "carol@contoso.com" },
	{ 0, "alice@contoso.com", 0, "alice@contoso.com" },
	{ 0, "alice.smith@contoso-mail.com", 0, "alice.smith@contoso-mail.com" },
};

static void
run(const struct row *r, int outbound)
{
	struct xl_addr a, b;
	char jid[512];
	int rc;

	cfg.email_for_federation = r->on;
	assert_int_equal(xl_addr_from_jid(r->in, &a), 0);
	rc = outbound ? xl_email_outbound(&cfg, &a, &b) :
	    xl_email_inbound(&cfg, &a, &b);
	assert_int_equal(rc, r->rc);
	if (rc != 0)
		return;
	assert_int_equal(xl_addr_to_jid(&b, 1, jid, sizeof(jid)), 0);
	assert_string_equal(jid, r->out);
}

static void
test_out(void **state)
{
	run(*state, 1);
}

static void
test_in(void **state)
{
	run(*state, 0);
}

/* outbound then inbound gives the local id back. */
static void
test_roundtrip(void **state)
{
	struct xl_addr a, b, c;

	cfg.email_for_federation = 1;
	assert_int_equal(xl_addr_from_jid(*state, &a), 0);
	assert_int_equal(xl_email_outbound(&cfg, &a, &b), 0);
	assert_int_equal(xl_email_inbound(&cfg, &b, &c), 0);
	assert_true(xl_addr_equal(&a, &c, 1));
}

static const struct {
	const char	*in, *out;
	int		 rewritten;
} alias_rows[] = {
	{ "user@aim.com", "user@aol.com", 1 },
	{ "user@AIM.com/x", "user@aol.com/x", 1 },
	{ "user@aol.com", "user@aol.com", 0 },
	{ "user@example.com", "user@example.com", 0 },
};

static void
test_alias(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_addr a;
	char jid[256];

	assert_int_equal(xl_addr_from_jid(alias_rows[i].in, &a), 0);
	assert_int_equal(xl_alias_apply(&cfg, &a), alias_rows[i].rewritten);
	assert_int_equal(xl_addr_to_jid(&a, 1, jid, sizeof(jid)), 0);
	assert_string_equal(jid, alias_rows[i].out);
}

int
main(void)
{
	static const char *const trips[] = { "alice@contoso.com/desk",
	    "bob@contoso.com", "carol@contoso.com" };

	for (size_t i = 0; i < XL_NELEM(out_rows); i++)
		xl_case(test_out, (void *)&out_rows[i], "email outbound%s: %s",
		    out_rows[i].on ? "" : " (off)", out_rows[i].in);
	for (size_t i = 0; i < XL_NELEM(in_rows); i++)
		xl_case(test_in, (void *)&in_rows[i], "email inbound%s: %s",
		    in_rows[i].on ? "" : " (off)", in_rows[i].in);
	for (size_t i = 0; i < XL_NELEM(trips); i++)
		xl_case(test_roundtrip, (void *)trips[i],
		    "email round trip out->in: %s", trips[i]);
	for (size_t i = 0; i < XL_NELEM(alias_rows); i++)
		xl_case(test_alias, (void *)(uintptr_t)i, "alias: %s",
		    alias_rows[i].in);
	return xl_cases_run("xlate email for federation");
}
