import fc from 'fast-check';
// Test only: the console's bundle never holds the server's parser, but its completion is held to it here.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { QUALIFIERS, parseSearch } from '@audit/search';
import { applySuggestion, localSuggestions, quoteValue, SEARCH_QUALIFIERS, userSuggestions, wordAt } from './search-completion';

describe('search completion', () => {
  it('offers exactly the qualifiers of the language', () => {
    expect(SEARCH_QUALIFIERS.map((q) => q.name).sort()).toEqual([...QUALIFIERS].sort());
  });

  it('finds the word at the caret, with its qualifier, outside a negation and parentheses', () => {
    expect(wordAt('action:LOGIN us', 15)).toEqual({ start: 13, end: 15, value: 'us' });
    expect(wordAt('(-user:ada', 10)).toEqual({ start: 2, end: 10, qualifier: 'user', value: 'ada' });
    expect(wordAt('Action:LO page:x', 9)).toEqual({ start: 0, end: 9, qualifier: 'action', value: 'LO' });
  });

  it('completes qualifiers, then action types (also the last of a comma list)', () => {
    expect(localSuggestions(wordAt('us', 2)).map((s) => s.insert)).toEqual(['user:']);
    expect(localSuggestions(wordAt('action:LOG', 10)).map((s) => s.label)).toEqual(['LOGIN', 'LOGOUT']);
    expect(localSuggestions(wordAt('action:LOGIN,DELETE_G', 21)).map((s) => s.insert)).toEqual(['action:LOGIN,DELETE_GROUP']);
    expect(localSuggestions(wordAt('page:x', 6))).toEqual([]);
  });

  it('completes users by e-mail, quoting what the language would split', () => {
    expect(userSuggestions([{ id: 'u1', email: 'ada@example.com', userName: 'Ada' }, { id: 'u 2', email: null, userName: null }]).map((s) => s.insert)).toEqual([
      'user:ada@example.com',
      'user:"u 2"',
    ]);
  });

  it('yields a search the parser accepts whenever it completes a whole term', () => {
    fc.assert(
      fc.property(fc.constantFrom(...localSuggestions(wordAt('action:', 7), 100)), fc.string({ maxLength: 20 }), (suggestion, name) => {
        const text = 'page:x action:';
        const { text: next, caret } = applySuggestion(text, wordAt(text, text.length), suggestion);
        expect(caret).toBe(next.length);
        expect(() => parseSearch(next, new Date())).not.toThrow();
        const user = applySuggestion('user:', wordAt('user:', 5), userSuggestions([{ id: name || 'x', email: null, userName: null }])[0]);
        expect(() => parseSearch(user.text, new Date())).not.toThrow();
        expect(quoteValue('plain')).toBe('plain');
      }),
    );
  });
});
