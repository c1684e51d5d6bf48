// A Hosted Link integration written the way Plaid's samples are, with Plaid's Node client, and with only
// its base URL changed: create a Hosted Link token, wait for the person to finish Link (the Go test plays
// the person and writes "done" on stdin), read the public token from /link/token/get, exchange it and
// show balances. It prints one JSON line per step on stdout; on a Plaid error it prints the error body
// and exits 1.
const readline = require('readline');
const { Configuration, PlaidApi, Products, CountryCode } = require('plaid');

const [basePath, clientId, secret, webhook] = process.argv.slice(2);
const client = new PlaidApi(new Configuration({
  basePath,
  baseOptions: { headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret, 'Plaid-Version': '2020-09-14' } },
}));

const say = (step, data) => console.log(JSON.stringify({ step, ...data }));
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

async function main() {
  const created = await client.linkTokenCreate({
    user: { client_user_id: 'sample-user' },
    client_name: 'Hosted Link sample',
    products: [Products.Transactions],
    country_codes: [CountryCode.Us],
    language: 'en',
    webhook,
    hosted_link: { completion_redirect_uri: 'https://sample.example/done', url_lifetime_seconds: 86400 },
  });
  say('created', { hosted_link_url: created.data.hosted_link_url, expiration: created.data.expiration });
  await nextLine();

  const got = await client.linkTokenGet({ link_token: created.data.link_token });
  const session = got.data.link_sessions[0];
  const publicToken = session.results.item_add_results[0].public_token;
  const exchanged = await client.itemPublicTokenExchange({ public_token: publicToken });
  const balances = await client.accountsBalanceGet({ access_token: exchanged.data.access_token });
  const institution = await client.institutionsGetById({
    institution_id: session.results.item_add_results[0].institution.institution_id,
    country_codes: [CountryCode.Us],
  });
  say('balances', {
    institution: institution.data.institution.name,
    accounts: balances.data.accounts.map((a) => ({ name: a.name, current: a.balances.current })),
  });
  await client.itemRemove({ access_token: exchanged.data.access_token });
  say('removed', {});
  lines.close();
}

main().catch((err) => {
  console.log(JSON.stringify({ step: 'error', status: err.response && err.response.status, body: err.response && err.response.data, message: err.message }));
  process.exit(1);
});
