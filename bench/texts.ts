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

/**
 * The quality section's corpus (bench/scenarios/quality.ts): per language 10 narrations of
 * 250–340 spoken characters (under espeak-ng's 400-character request limit, so each can also be
 * read in one engine call), 2–6 chunks each at espeak-ng's speaking rate. Between them: dialogue
 * in quotes, numbers and dice ("2d8 + 4"), a long unpunctuated sentence that the chunker must cut
 * at a conjunction and at forced word boundaries, paragraphs separated by blank lines, questions
 * and exclamations. The same ten situations in English and Brazilian Portuguese, in the same order.
 */
export const QUALITY_TEXTS: Readonly<Record<'en' | 'pt', readonly string[]>> = {
  en: [
    `The innkeeper leans across the bar and lowers her voice, glancing at the strangers by the door, the ones who have not touched their ale all evening. "You want the cellar key? It will cost you twenty silver," she whispers, "and you did not get it from me." Behind her, the fire pops and hisses.`,
    `Thorn swings his axe and rolls 2d8 + 4 for damage. The ogre takes 13 damage, drops to 42 hit points and bellows in rage, swinging its club in a wide arc that shatters the table, scatters the cards and sends the candles flying. Everyone within ten feet, roll a DC 15 Dexterity saving throw!`,
    `The old grey wizard in the tattered blue robe with the silver stars on its wide sleeves walked slowly down the long crooked road toward the little village at the edge of the dark forest beyond the river and the children of the village ran out across the muddy fields to meet him at the old stone bridge`,
    `The door opens onto a long stone hall.\n\nTorches flicker along the walls, and the air smells of smoke and old iron. At the far end, something moves.\n\nYou hear a low growl, then silence. Whatever waits there is patient, and it has been waiting for a very long time.`,
    `Who goes there? Show yourselves! The guard raises his lantern and squints into the dark, his free hand on the hilt of his sword, his breath white in the cold air of the gatehouse. Is that a friend of the duke, or another thief from the harbour? Speak now, or I ring the bell!`,
    `Inside the chest you find 350 gold pieces, 12 silver rings and a map dated 1482. The map shows a tower on a small island in the northern sea, far from any trade route; someone has circled it three times in red ink, and beside it, in a shaking hand, written a single word: never.`,
    `"Run!" shouts Mira. The bridge sways beneath your feet, its old ropes fraying one by one, its planks cracking and falling into the gorge, where the river roars between the rocks a hundred feet below. You have two rounds before it falls. What do you do?`,
    `The caravan crawled along the narrow mountain road for the whole of that grey afternoon while the wind tore at the canvas covers but the drivers kept on because everyone knew that the pass would close before the first snow came down from the peaks and nobody wanted to spend the winter in the valley`,
    `Night falls over the Whispering Marsh. Strange lights drift between the reeds, and the frogs fall silent.\n\nLyra casts Light on her staff. The glow reveals a sunken boat, half buried in the mud, with a name painted on its bow.\n\nKael wades closer. The name is his own.`,
    `Captain Voss slams his fist on the table. "We sail at dawn, with or without you!" The crew cheers, raising their mugs, stamping their boots, shouting the old songs of the southern ports. You have 3 hours to buy supplies: rope costs 1 gp, rations 5 sp per day, and a good lantern 12 gp.`,
  ],
  pt: [
    `A taverneira se inclina sobre o balcão e baixa a voz, olhando para os estranhos perto da porta, aqueles que não tocaram na cerveja a noite toda. "Vocês querem a chave do porão? Vai custar vinte moedas de prata," ela sussurra, "e não foi comigo que vocês conseguiram." Atrás dela, o fogo estala.`,
    `Thorn ergue o machado e rola 2d8 + 4 de dano. O ogro sofre 13 de dano, fica com 42 pontos de vida e urra de raiva, girando a clava num arco largo que despedaça a mesa, espalha as cartas e derruba as velas. Todos a até três metros, façam um teste de Destreza com CD 15!`,
    `O velho mago de manto azul rasgado com estrelas de prata nas mangas largas desceu devagar pela longa estrada torta rumo à pequena aldeia na beira da floresta escura além do rio e as crianças da aldeia correram pelos campos enlameados para encontrá-lo na velha ponte de pedra`,
    `A porta se abre para um longo salão de pedra.\n\nTochas tremulam nas paredes, e o ar cheira a fumaça e ferro velho. No fundo do salão, algo se mexe.\n\nVocês ouvem um rosnado baixo, depois silêncio. O que espera ali é paciente, e espera há muito, muito tempo.`,
    `Quem está aí? Apareçam! O guarda ergue a lanterna e aperta os olhos na escuridão, a outra mão no cabo da espada, a respiração branca no ar frio da guarita. É um amigo do duque, ou mais um ladrão do porto? Falem agora, ou eu toco o sino!`,
    `Dentro do baú vocês encontram 350 peças de ouro, 12 anéis de prata e um mapa datado de 1482. O mapa mostra uma torre numa pequena ilha do mar do norte, longe de qualquer rota; alguém a circulou três vezes com tinta vermelha e escreveu ao lado, com a mão trêmula, uma única palavra: nunca.`,
    `"Corram!" grita Mira. A ponte balança sob os seus pés, as cordas velhas arrebentando uma a uma, as tábuas rachando e caindo no desfiladeiro, onde o rio ruge entre as pedras trinta metros abaixo. Vocês têm duas rodadas antes que ela caia. O que vocês fazem?`,
    `A caravana seguiu pela estreita estrada da montanha durante toda aquela tarde cinzenta enquanto o vento rasgava as lonas mas os condutores não pararam porque todos sabiam que a passagem fecharia antes da primeira neve descer dos picos e ninguém queria passar o inverno no vale`,
    `A noite cai sobre o Pântano dos Sussurros. Luzes estranhas flutuam entre os juncos, e os sapos se calam.\n\nLyra lança Luz no seu cajado. O brilho revela um barco afundado, meio enterrado na lama, com um nome pintado na proa.\n\nKael se aproxima. O nome é o dele.`,
    `O capitão Voss bate o punho na mesa. "Zarpamos ao amanhecer, com ou sem vocês!" A tripulação comemora, erguendo as canecas, batendo as botas, cantando as velhas canções dos portos do sul. Vocês têm 3 horas para comprar suprimentos: uma corda custa 1 peça de ouro e uma lanterna boa, 12.`,
  ],
};

/** Indices of {@link QUALITY_TEXTS} a quick run narrates: quotes and clauses, forced cuts, paragraphs, questions, conjunctions. */
export const QUALITY_QUICK: readonly number[] = [0, 2, 3, 4, 7];

/** Short narrations the quality section queues back to back (and interrupts with), per language. */
export const QUALITY_GAP_TEXTS: Readonly<Record<'en' | 'pt', readonly string[]>> = {
  en: ['The goblin draws its blade.', 'A cold wind rattles the shutters. Somewhere below, a door slams.', 'Roll for initiative!'],
  pt: ['O goblin saca a lâmina.', 'Um vento frio sacode as janelas. Em algum lugar lá embaixo, uma porta bate.', 'Rolem a iniciativa!'],
};
