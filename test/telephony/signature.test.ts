/** Our X-Twilio-Signature against the real `twilio` package, both ways. */
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { isValidTwilioSignature, twilioSignature } from '../../src/telephony/signature.js';

const TOKEN = '12345abcdef';
const URL_ = 'https://gw.example.com/twilio/voice?tenant=acme';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675310',
  Digits: '1234',
  From: '+14158675310',
  To: '+18005551212',
};

describe('twilio signature', () => {
  it('is what the twilio package computes', () => {
    expect(twilioSignature(TOKEN, URL_, PARAMS)).toBe(twilio.getExpectedTwilioSignature(TOKEN, URL_, PARAMS));
    expect(twilioSignature(TOKEN, 'wss://gw.example.com/twilio/stream')).toBe(
      twilio.getExpectedTwilioSignature(TOKEN, 'wss://gw.example.com/twilio/stream', {}),
    );
  });

  it('accepts what twilio signs, and twilio accepts what we sign', () => {
    const theirs = twilio.getExpectedTwilioSignature(TOKEN, URL_, PARAMS);
    expect(isValidTwilioSignature(TOKEN, theirs, URL_, PARAMS)).toBe(true);
    expect(twilio.validateRequest(TOKEN, twilioSignature(TOKEN, URL_, PARAMS), URL_, PARAMS)).toBe(true);
  });

  it('signs repeated parameters as twilio does', () => {
    const params = { Key: ['b', 'a', 'b'] };
    expect(twilioSignature(TOKEN, URL_, params)).toBe(
      twilio.getExpectedTwilioSignature(TOKEN, URL_, params as unknown as Record<string, string>),
    );
  });

  it('accepts the URL with or without the default port', () => {
    const withPort = 'https://gw.example.com:443/twilio/voice?tenant=acme';
    expect(isValidTwilioSignature(TOKEN, twilioSignature(TOKEN, withPort, PARAMS), URL_, PARAMS)).toBe(true);
    expect(isValidTwilioSignature(TOKEN, twilioSignature(TOKEN, URL_, PARAMS), withPort, PARAMS)).toBe(true);
    const ws = 'wss://gw.example.com/twilio/stream';
    expect(
      isValidTwilioSignature(TOKEN, twilioSignature(TOKEN, 'wss://gw.example.com:443/twilio/stream'), ws),
    ).toBe(true);
  });

  it('refuses another token, URL, parameter value, or no signature', () => {
    const sig = twilioSignature(TOKEN, URL_, PARAMS);
    expect(isValidTwilioSignature('other', sig, URL_, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, sig, URL_.replace('acme', 'evil'), PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, sig, URL_, { ...PARAMS, Digits: '9' })).toBe(false);
    expect(isValidTwilioSignature(TOKEN, undefined, URL_, PARAMS)).toBe(false);
    expect(
      isValidTwilioSignature(TOKEN, sig, 'https://gw.example.com:8443/twilio/voice?tenant=acme', PARAMS),
    ).toBe(false);
  });
});
