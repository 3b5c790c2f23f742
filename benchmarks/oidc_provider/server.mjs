// node-oidc-provider configured like fedcore's OpenID provider, for benchmarks/aai_tokens.py.
//
// One confidential client (client_secret_basic) with the client_credentials, refresh_token and
// authorization_code grants; RS256 JWT access tokens (typ at+jwt, kid) through resourceIndicators,
// as node-oidc-provider only issues JWT access tokens for a resource server; refresh tokens
// rotated on every use; an in-memory adapter (below: the built-in one loses live tokens under
// load). At startup it mints REFRESH_TOKENS
// refresh tokens, each in its own Grant for one fixed account (as if an authorization code had
// been redeemed with "openid offline_access"), writes them to REFRESH_TOKEN_FILE one per line,
// and only then listens, so the file is complete once the port answers.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKENS, REFRESH_TOKEN_FILE,
// ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL (seconds; the harness passes fedcore's defaults).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
};

const PORT = Number(env('PORT'));
const ISSUER = `http://127.0.0.1:${PORT}`;
const RESOURCE = 'https://api.example.test';
const RESOURCE_SCOPE = 'api:read';
const CLIENT_ID = env('CLIENT_ID');
const ACCOUNT_ID = 'bench-account';
const ACCESS_TTL = Number(env('ACCESS_TOKEN_TTL'));
const REFRESH_TTL = Number(env('REFRESH_TOKEN_TTL'));
const REFRESH_SCOPE = `openid offline_access ${RESOURCE_SCOPE}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };

// node-oidc-provider's built-in in-memory adapter is an LRU cache of 1,000 entries: under load it
// evicts grants and refresh tokens that sit idle for a few thousand writes (the benchmark's unused
// starting tokens were gone after about 3,600 refreshes). This adapter keeps every entry in a Map
// until it expires, as fedcore keeps its rows; spent refresh tokens stay for reuse detection.
const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const grantMembers = new Map(); // grantId -> Set of keys
const secondary = new Map(); // `uid:${uid}` / `userCode:${code}` -> id

function live(key) {
  const entry = store.get(key);
  if (entry === undefined) {
    return undefined;
  }
  if (entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.payload;
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(key, { payload, expiresAt });
    if (payload.grantId) {
      const members = grantMembers.get(payload.grantId) ?? new Set();
      members.add(key);
      grantMembers.set(payload.grantId, members);
    }
    if (payload.uid) {
      secondary.set(`uid:${payload.uid}`, id);
    }
    if (payload.userCode) {
      secondary.set(`userCode:${payload.userCode}`, id);
    }
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    return this.find(secondary.get(`uid:${uid}`));
  }

  async findByUserCode(userCode) {
    return this.find(secondary.get(`userCode:${userCode}`));
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) {
      payload.consumed = Math.floor(Date.now() / 1000);
    }
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) {
      store.delete(key);
    }
    grantMembers.delete(grantId);
  }
}

const provider = new Provider(ISSUER, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: env('CLIENT_SECRET'),
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: REFRESH_SCOPE,
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', RESOURCE_SCOPE],
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id }),
  }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: RESOURCE_SCOPE,
        audience: RESOURCE,
        accessTokenTTL: ACCESS_TTL,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: ACCESS_TTL,
    ClientCredentials: ACCESS_TTL,
    IdToken: ACCESS_TTL,
    RefreshToken: REFRESH_TTL,
    Grant: REFRESH_TTL,
  },
});

// The state an authorization-code redemption with "openid offline_access" leaves behind.
async function mintRefreshToken(client) {
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: CLIENT_ID });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(RESOURCE, RESOURCE_SCOPE);
  const grantId = await grant.save();
  const token = new provider.RefreshToken({
    accountId: ACCOUNT_ID,
    client,
    grantId,
    gty: 'authorization_code',
    scope: REFRESH_SCOPE,
    resource: RESOURCE,
    authTime: Math.floor(Date.now() / 1000),
  });
  return token.save();
}

const client = await provider.Client.find(CLIENT_ID);
const tokens = [];
for (let i = 0; i < Number(env('REFRESH_TOKENS')); i += 1) {
  tokens.push(await mintRefreshToken(client));
}
writeFileSync(env('REFRESH_TOKEN_FILE'), tokens.map((t) => `${t}\n`).join(''));

provider.listen(PORT, '127.0.0.1');
