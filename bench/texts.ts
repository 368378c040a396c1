/**
 * Narration texts the benchmark speaks: short table-talk lines of one or two
 * sentences (what events and the DM produce most), and longer passages sized to a
 * target duration. Numbers, dice and abbreviations are in on purpose, so the text
 * stage (normalization, chunking) does its real work.
 */

/** 36 varied one- or two-sentence narrations, 20–140 characters. */
export const SHORT_TEXTS: readonly string[] = [
  'The goblin draws its blade.',
  'Mira joins the table.',
  'Roll for initiative!',
  'Thorn rolls 2d8+4 and gets 13.',
  'You enter the Sunken Library. Dust hangs in the still air.',
  'Combat begins! Three skeletons attack.',
  'The innkeeper says: welcome, travellers, the stew is hot tonight.',
  'A cold wind rattles the shutters. Somewhere below, a door slams.',
  'The dragon takes 27 damage and roars in fury.',
  'Brother Aldric heals 12 HP. The wound closes with a hiss of golden light.',
  'You find 350 gp and a silver ring.',
  'The bridge groans under your weight.',
  'Make a DC 15 Dexterity saving throw.',
  'The rogue slips into the shadows, unseen.',
  'Arrows rain from the battlements. Take cover!',
  'The merchant counts your coins twice, then nods.',
  'Your torch flickers and dies.',
  'The ogre misses, and its club shatters the table.',
  'It is the 3rd day of the Harvest Moon. The roads are muddy and slow.',
  'A hooded figure watches you from the corner of the tavern.',
  'The spell fizzles. Nothing happens.',
  'You hear chanting beyond the iron door.',
  'The wolf lunges at Kael, but his shield holds.',
  'Captain Voss says: we sail at dawn, with or without you.',
  'The floor gives way! Everyone falls 20 feet into darkness.',
  'Lyra casts Fireball. The corridor erupts in flame.',
  'The cultists scatter as the altar cracks in two.',
  'You gain 450 XP.',
  'Rain hammers the canvas of your tent through the long night.',
  'The lich raises one bony hand, and the candles go out.',
  'A small voice from the well asks: is anyone there?',
  'The gates of Highmoor open slowly. Guards in blue cloaks step aside.',
  'Your AC is now 18.',
  'The treasure chest is locked, and the lock is trapped.',
  'Night falls over the Whispering Marsh. Strange lights drift between the reeds.',
  'The king rises from his throne. Kneel, he commands.',
];

/** Sentences longer passages are assembled from (plain prose, ~60–110 characters each). */
const PASSAGE_SENTENCES: readonly string[] = [
  'The road winds down through the pine forest toward the river, where the old mill still turns.',
  'Smoke rises from the chimneys of the village, and somewhere a dog barks at the strangers.',
  'The elder waits by the well, leaning on a staff carved with runes that nobody here can read.',
  'She tells you that the children have been dreaming of a door beneath the hill for seven nights.',
  'Beyond the fields, the standing stones catch the last light of the evening sun.',
  'A raven settles on the nearest stone and watches you with one bright and patient eye.',
  'When you step inside the circle, the air grows still and the birdsong stops at once.',
  'Far below your feet, something vast and very old turns over in its sleep.',
];

/**
 * A passage of about `seconds` of speech at `charsPerSecond`: running prose from the
 * sentence at `offset` on (so consecutive passages differ), cut at the last word that
 * fits and closed with a full stop.
 * @param charsPerSecond speaking rate, characters/s (measure it with the engine: estimates differ)
 */
export function passageOf(seconds: number, charsPerSecond: number, offset = 0): string {
  const wanted = Math.max(8, Math.round(seconds * charsPerSecond));
  let prose = '';
  for (let i = offset; prose.length < wanted + 1; i++) prose += PASSAGE_SENTENCES[i % PASSAGE_SENTENCES.length]! + ' ';
  const cut = prose.lastIndexOf(' ', wanted);
  return prose.slice(0, cut > 0 ? cut : wanted).replace(/[,.;:]?$/, '.');
}
