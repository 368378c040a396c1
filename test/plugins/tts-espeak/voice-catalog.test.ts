import { expect } from 'chai';
import { VoiceCatalog, assertEspeakLanguage } from '../../../plugins/tts-espeak/voice-catalog.ts';

const catalog = new VoiceCatalog([
  { name: 'en-us', title: 'English (America)', languages: ['en-us', 'en'] },
  { name: 'en-us-nyc', title: 'English (America, New York City)', languages: ['en-us-nyc'] },
  { name: 'pt-br', title: 'Portuguese (Brazil)', languages: ['pt-br', 'pt'] },
  { name: 'pt', title: 'Portuguese (Portugal)', languages: ['pt', 'pt-pt'] },
]);

describe('VoiceCatalog', () => {
  it('lists the voices of a language, regional ones included', () => {
    expect(catalog.voicesFor('en')).to.deep.equal(['en-us', 'en-us-nyc']);
    expect(catalog.voicesFor('pt')).to.deep.equal(['pt', 'pt-br']);
  });

  it('resolves a voice of the language lower-cased, variant kept', () => {
    expect(catalog.resolve('en', 'EN-US+f3', 'en-us')).to.equal('en-us+f3');
  });

  it('rejects a voice of another language naming it and the allowed ones', () => {
    expect(() => catalog.resolve('en', 'pt-br', 'en-us')).to.throw(/"pt-br".*"en".*en-us, en-us-nyc.*en-us\+f3/);
  });

  it('narrows supported languages and rejects others naming them', () => {
    expect(assertEspeakLanguage('pt')).to.equal('pt');
    expect(() => assertEspeakLanguage('xx')).to.throw(/"xx".*en, pt, es, fr, de, it/);
  });
});
