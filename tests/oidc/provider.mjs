// A real OpenID Provider (panva/oidc-provider) for casework's single sign-on tests.
//
// node provider.mjs CONFIG.json: CONFIG names the issuer, port, clients, signing keys and a state file.
// The state file is read on every request, so a test changes a person's groups (or makes the provider
// misbehave) without a restart: {"accounts": {"<login>": {"name", "email", "groups"}}, "audience": null}.
// The login is the account id, so it is the `sub` too.
// The login page is oidc-provider's development interaction (any password); consent is implied.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const state = () => JSON.parse(readFileSync(config.stateFile, 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['casework-test-provider-cookie-key'] },
  claims: { openid: ['sub', 'groups'], profile: ['name'], email: ['email'] },
  conformIdTokenClaims: false, // groups and name in the ID token, as Entra ID sends them
  ttl: { IdToken: config.idTokenTtl, AccessToken: 600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = state().accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: account.name, email: account.email, groups: account.groups };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});

// A misbehaving provider for one test: ID tokens addressed to another audience, naming the real client as azp.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueFor(options) {
  const { audience } = state();
  if (!audience || options?.use !== 'idtoken') return issue.call(this, options);
  const real = this.client;
  this.set('azp', real.clientId);
  this.client = new Proxy(real, { get: (target, name) => (name === 'clientId' ? audience : Reflect.get(target, name)) });
  try {
    return await issue.call(this, options);
  } finally {
    this.client = real;
  }
};

provider.listen(config.port, '127.0.0.1', () => console.log(`ready ${config.issuer}`));
