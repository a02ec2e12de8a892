import { X } from './index';
it('works', () => expect(X).toBe(1));
