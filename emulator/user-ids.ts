// Generated user ids. 'plain' ids (`user-0000`) sort alike in every order; 'mixed' ids mix case and the
// separators `-`, `_` and `.`, so an ICU collation and JavaScript's `<` order them differently, as a
// real app's ids may be.

export type UserIdStyle = 'plain' | 'mixed';

const PEOPLE = ['Ada.Lovelace', 'grace.hopper', 'Alan_Turing', 'edsger-dijkstra', 'Barbara.Liskov', 'ken_thompson', 'Radia-Perlman', 'donald.Knuth'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export function userId(index: number, style: UserIdStyle): string {
  if (style === 'plain') return `user-${String(index).padStart(4, '0')}`;
  const n = String(index).padStart(3, '0');
  switch (index % 5) {
    case 0:
      return `User-${n}-${LETTERS[index % LETTERS.length] as string}`;
    case 1:
      return `user_${n}`;
    case 2:
      return `${PEOPLE[Math.floor(index / 5) % PEOPLE.length] as string}-${index}`;
    case 3:
      return `USER.${n}`;
    default:
      return `user-${n}`;
  }
}
