import { signV4 } from '../../../../connectors/http/sigv4';

/**
 * AWS Signature Version 4 checked against AWS's published test suite (aws-sig-v4-test-suite,
 * the "Signature Version 4 Test Suite" of the AWS General Reference): the suite's credentials,
 * date 2015-08-30T12:36:00Z, region us-east-1, service "service", host example.amazonaws.com.
 * Expected canonical requests, string-to-sign hashes and signatures are the suite's .creq, .sts
 * and .authz files.
 */
const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  date: new Date('2015-08-30T12:36:00Z'),
};
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SCOPE = 'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

interface Vector {
  name: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The suite's .creq file, where quoted in full here. */
  canonicalRequest?: string;
  /** Last line of the suite's .sts file: the SHA-256 of the canonical request. */
  canonicalRequestHash?: string;
  authorization: string;
}

const VECTORS: Vector[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    canonicalRequest: [
      'GET',
      '/',
      '',
      'host:example.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      '',
      'host;x-amz-date',
      EMPTY_SHA256,
    ].join('\n'),
    canonicalRequestHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
    canonicalRequest: [
      'GET',
      '/',
      'Param1=value1&Param2=value2',
      'host:example.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      '',
      'host;x-amz-date',
      EMPTY_SHA256,
    ].join('\n'),
    canonicalRequestHash: '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0',
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
  },
  {
    name: 'post-vanilla-query',
    method: 'POST',
    url: 'https://example.amazonaws.com/?Param1=value1',
    canonicalRequest: [
      'POST',
      '/',
      'Param1=value1',
      'host:example.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      '',
      'host;x-amz-date',
      EMPTY_SHA256,
    ].join('\n'),
    canonicalRequestHash: '9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd',
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11`,
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'Param1=value1',
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
  },
  {
    name: 'post-header-value-case',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'My-Header1': 'VALUE1' },
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d`,
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    headers: { 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"' },
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736`,
  },
  {
    // The suite's request repeats My-Header1 (value2, value2, value1); HTTP joins them with commas.
    name: 'get-header-key-duplicate',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    headers: { 'My-Header1': 'value2,value2,value1' },
    authorization: `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea`,
  },
];

describe('SigV4 signing matches the AWS Signature Version 4 test suite', () => {
  it.each(VECTORS)('$name', (v) => {
    const signed = signV4({
      ...SUITE,
      method: v.method,
      url: v.url,
      headers: { ...(v.headers ?? {}) },
      body: v.body ?? '',
    });
    if (v.canonicalRequest) expect(signed.canonicalRequest).toBe(v.canonicalRequest);
    if (v.canonicalRequestHash) {
      expect(signed.stringToSign).toBe(
        [
          'AWS4-HMAC-SHA256',
          '20150830T123600Z',
          '20150830/us-east-1/service/aws4_request',
          v.canonicalRequestHash,
        ].join('\n'),
      );
    }
    expect(signed.headers.Authorization).toBe(v.authorization);
    expect(signed.headers['X-Amz-Date']).toBe('20150830T123600Z');
  });

  it('adds and signs X-Amz-Security-Token for temporary credentials', () => {
    const signed = signV4({
      ...SUITE,
      credentials: { ...SUITE.credentials, sessionToken: 'token-1' },
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
    });
    expect(signed.headers['X-Amz-Security-Token']).toBe('token-1');
    expect(signed.signedHeaders).toBe('host;x-amz-date;x-amz-security-token');
    expect(signed.canonicalRequest).toContain('x-amz-security-token:token-1\n');
  });

  it('changes the signature when the body changes (the payload hash is signed)', () => {
    const a = signV4({
      ...SUITE,
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: 'Action=RebootInstances',
    });
    const b = signV4({
      ...SUITE,
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: 'Action=TerminateInstances',
    });
    expect(a.signature).not.toBe(b.signature);
  });
});
