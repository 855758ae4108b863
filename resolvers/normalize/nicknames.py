"""Given-name equivalence: diminutives and spelling variants, in the languages our channels see.

English names come from the ``nicknames`` package (the Old Dominion University name-variant
list). The table below adds the languages it lacks. Each entry is a formal name and the short
or familiar forms people really use for it; keys are folded (``fold_compact``) before use, so a
Cyrillic form and its romanisations land on the same key.

Two given names are *nickname-equivalent* when one is a nickname of the other or both are
nicknames of one formal name. Equivalence is deliberately not transitive across formal names
("Al" may be Albert or Alexander; that does not make Albert and Alexander one name).
"""

from __future__ import annotations

from functools import lru_cache

from nicknames import NickNamer

from resolvers.normalize.text import fold_compact, phonetic

__all__ = ["nickname_groups", "nickname_initials"]

# (formal name, familiar forms); native script and common romanisations both work. A formal
# name may appear once per language.
_MULTILINGUAL: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Italian
    ("Giuseppe", ("Beppe", "Peppe", "Pino", "Peppino", "Beppino", "Geppetto", "Joseph")),
    ("Giovanni", ("Gianni", "Nanni", "Vanni", "Giovannino", "Ivano")),
    ("Francesco", ("Franco", "Checco", "Cecco", "Francio", "Frank")),
    ("Alessandro", ("Sandro", "Ale", "Alex", "Sandrino")),
    ("Alessandra", ("Sandra", "Ale", "Alex", "Sandrina")),
    ("Antonio", ("Tonio", "Toni", "Tonino", "Totò", "Nino", "Antó")),
    ("Salvatore", ("Totò", "Turi", "Salvo", "Tore")),
    ("Vincenzo", ("Enzo", "Vince", "Vincy", "Cenzo")),
    ("Domenico", ("Mimmo", "Mimì", "Menico", "Nico")),
    ("Gianluca", ("Luca",)), ("Gianfranco", ("Franco",)), ("Giancarlo", ("Carlo",)),
    ("Massimiliano", ("Max", "Massi", "Massimo")), ("Massimo", ("Max", "Massi")),
    ("Roberto", ("Robi", "Berto", "Bob")), ("Alberto", ("Berto", "Albi")),
    ("Federico", ("Fede", "Chicco")), ("Federica", ("Fede",)), ("Riccardo", ("Ricky", "Rick")),
    ("Emanuele", ("Manu", "Lele", "Ema")), ("Gabriele", ("Gabri", "Lele")), ("Daniele", ("Dani", "Lele")),
    ("Margherita", ("Marghe", "Rita", "Ghita")), ("Elisabetta", ("Betta", "Elisa", "Lisa", "Betty")),
    ("Caterina", ("Cate", "Rina", "Katia")), ("Francesca", ("Franca", "Fra", "Checca", "Francy")),
    ("Giuseppina", ("Pina", "Peppina", "Giusy")), ("Giovanna", ("Gianna", "Vanna", "Nanna")),
    ("Raffaele", ("Lello", "Raffa")), ("Raffaella", ("Lella", "Raffa")), ("Valentina", ("Vale",)),
    ("Beatrice", ("Bea", "Bice")), ("Gabriella", ("Gabri", "Ella")), ("Stefania", ("Stefi",)),
    # Spanish
    ("José", ("Pepe", "Pepito", "Chepe", "Joselito", "Josito")),
    ("Francisco", ("Paco", "Pancho", "Curro", "Quico", "Fran", "Frasco", "Kiko")),
    ("Manuel", ("Manolo", "Manu", "Lolo", "Manolito")),
    ("Jesús", ("Chuy", "Chucho", "Chus", "Suso")),
    ("Dolores", ("Lola", "Loles", "Loli")), ("Concepción", ("Concha", "Conchi", "Conchita")),
    ("Guadalupe", ("Lupe", "Lupita", "Pita")), ("Rosario", ("Charo", "Chari", "Rosi")),
    ("Mercedes", ("Merche", "Meche", "Mercé")), ("Ignacio", ("Nacho", "Iñaki")),
    ("Enrique", ("Quique", "Kike")), ("Ramón", ("Moncho",)), ("Guillermo", ("Memo", "Guille", "Willy")),
    ("Alejandro", ("Álex", "Alex", "Jandro", "Ale")), ("Alejandra", ("Álex", "Alex", "Ale", "Sandra")),
    ("Javier", ("Javi", "Xavi")), ("Eduardo", ("Edu", "Lalo")), ("Fernando", ("Nando", "Fer", "Fernan")),
    ("Antonia", ("Toña", "Toni")), ("Consuelo", ("Chelo",)), ("Asunción", ("Asun", "Chon")),
    ("Cristina", ("Cris", "Tina")), ("Pilar", ("Pili", "Pilarica")), ("Carmen", ("Menchu", "Carmencita", "Mamen")),
    ("Isabel", ("Isa", "Chabela", "Belita")), ("Teresa", ("Tere", "Maite", "Teté")),
    ("María José", ("Majo", "Pepa")), ("María Teresa", ("Maite", "Marité")), ("Josefa", ("Pepa", "Pepita")),
    ("Santiago", ("Santi", "Yago", "Diego")), ("Alberto", ("Beto", "Tito")), ("Roberto", ("Beto", "Rober")),
    ("Rafael", ("Rafa", "Falo")), ("Daniel", ("Dani",)), ("Sebastián", ("Sebas", "Chano")),
    # Portuguese (Brazil and Portugal)
    ("João", ("Joãozinho", "Jão")), ("Antônio", ("Toninho", "Tonho", "Tony")), ("Francisco", ("Chico", "Chiquinho")),
    ("Eduardo", ("Dudu", "Du")), ("Luiz", ("Lula", "Luizinho")), ("Luís", ("Lula",)), ("Maria Eduarda", ("Duda",)),
    ("Rodrigo", ("Digo", "Rodriguinho")), ("Fernanda", ("Nanda", "Fê")), ("Gabriela", ("Gabi",)),
    ("Rafaela", ("Rafa",)), ("Beatriz", ("Bia", "Bea")), ("Vitória", ("Vivi", "Vick")), ("Guilherme", ("Gui",)),
    ("Henrique", ("Rique", "Henri")), ("Leonardo", ("Léo",)), ("Felipe", ("Lipe", "Fê")),
    ("Patrícia", ("Paty", "Pati")),
    ("Juliana", ("Ju", "Juju")), ("Aparecida", ("Cida",)), ("Conceição", ("Ceição",)), ("Josefa", ("Zefa",)),
    # French
    ("Jean-Baptiste", ("JB",)), ("Jean-Philippe", ("JP",)), ("Jean-François", ("JF",)), ("Jean-Claude", ("JC",)),
    ("Jean-Pierre", ("JP",)), ("Jean-Marc", ("JM",)), ("Philippe", ("Phil",)), ("Nicolas", ("Nico", "Colas")),
    ("Frédéric", ("Fred", "Freddy")), ("Stéphane", ("Steph",)), ("Christophe", ("Chris", "Tof", "Toph")),
    ("Guillaume", ("Guigui", "Gui")), ("Benoît", ("Ben",)), ("Maximilien", ("Max",)), ("Maxime", ("Max",)),
    ("Alexandre", ("Alex",)), ("Alexandra", ("Alex", "Sandra")), ("Catherine", ("Cathy", "Cat", "Kate")),
    ("Dominique", ("Dom", "Domi")), ("Élisabeth", ("Babette", "Lisette", "Élise", "Lise", "Zabeth")),
    ("Françoise", ("Fanfan", "Fanny", "Françou")), ("Marguerite", ("Margot", "Maguy", "Guite")),
    ("Isabelle", ("Isa", "Zaza", "Babelle")), ("Véronique", ("Véro",)), ("Sébastien", ("Seb", "Bastien")),
    ("Anne-Sophie", ("Anso",)), ("Marie-Christine", ("Marie",)), ("Nathalie", ("Nath",)), ("Valérie", ("Val",)),
    ("Joséphine", ("Josette", "Jo", "Fifine")), ("Thérèse", ("Thérèsette", "Tété")), ("Jacqueline", ("Jacquie",)),
    ("Louise", ("Loulou",)), ("Mathilde", ("Mathou", "Tilde")),
    # German and Dutch
    ("Johannes", ("Hans", "Jan", "Johann", "Hannes", "Jo", "Jens", "Joop", "Hanno")),
    ("Johanna", ("Hanna", "Hanne", "Jo", "Anneke", "Jannie")), ("Wolfgang", ("Wolf", "Wolfi")),
    ("Friedrich", ("Fritz", "Friedel", "Fred")), ("Heinrich", ("Heinz", "Henning", "Hein")),
    ("Wilhelm", ("Willi", "Willy", "Wim", "Helm")), ("Jakob", ("Jaap", "Koos", "Köbi")),
    ("Matthias", ("Matze", "Hias", "Thias")), ("Maximilian", ("Max", "Maxi")),
    ("Alexander", ("Alex", "Sascha", "Xander")),
    ("Christoph", ("Chris", "Stoffel")), ("Christian", ("Chris", "Christl")),
    ("Katharina", ("Kathi", "Käthe", "Katja", "Trijntje")),
    ("Margarethe", ("Grete", "Gretchen", "Gretel", "Margit", "Meta")),
    ("Elisabeth", ("Lisa", "Liesl", "Elsbeth", "Betty", "Els", "Lies")),
    ("Magdalena", ("Lena", "Leni", "Magda")), ("Susanne", ("Susi", "Sanne")), ("Stefanie", ("Steffi",)),
    ("Cornelis", ("Kees", "Cees", "Niels", "Cor")), ("Hendrik", ("Henk", "Rik", "Hein", "Erik")),
    ("Pieter", ("Piet", "Peer")), ("Jacobus", ("Koos", "Jaap", "Sjaak")),
    ("Gerardus", ("Gerard", "Gert", "Geert", "Sjaak")),
    ("Adrianus", ("Arie", "Adri", "Janus")), ("Petrus", ("Piet", "Peter")),
    ("Wilhelmina", ("Mien", "Willemien", "Wilma")),
    ("Johannes Cornelis", ("Hans",)), ("Anna Maria", ("Annemie", "Annemarie")), ("Jozef", ("Jos", "Sjef", "Joep")),
    ("Antonius", ("Toon", "Ton", "Teun")), ("Franciscus", ("Frans", "Sjaak")), ("Theodorus", ("Theo", "Dirk", "Ruud")),
    # Polish
    ("Katarzyna", ("Kasia", "Kaśka", "Kasieńka")), ("Małgorzata", ("Gosia", "Małgosia", "Gośka")),
    ("Aleksander", ("Olek", "Alek", "Oleś", "Aleks")), ("Aleksandra", ("Ola", "Ala", "Olka")),
    ("Agnieszka", ("Aga", "Agusia", "Jaga")), ("Magdalena", ("Magda", "Madzia")), ("Joanna", ("Asia", "Joasia")),
    ("Krzysztof", ("Krzyś", "Krzysiek", "Kris")), ("Wojciech", ("Wojtek", "Wojtuś")),
    ("Stanisław", ("Staś", "Staszek", "Stasiek")),
    ("Tomasz", ("Tomek",)), ("Piotr", ("Piotrek", "Piotruś")), ("Paweł", ("Pawełek",)),
    ("Jan", ("Janek", "Jaś", "Jasiek")),
    ("Michał", ("Michałek", "Misiek")), ("Jakub", ("Kuba", "Kubuś")), ("Andrzej", ("Jędrek", "Andrzejek")),
    ("Elżbieta", ("Ela", "Elka", "Elżunia")), ("Barbara", ("Basia", "Baśka")), ("Zofia", ("Zosia", "Zośka")),
    ("Anna", ("Ania", "Anka", "Anusia", "Hania")), ("Marianna", ("Marysia",)), ("Maria", ("Marysia", "Maryla")),
    ("Józef", ("Józek", "Józiu")), ("Grzegorz", ("Grzesiek", "Grześ")), ("Bartłomiej", ("Bartek",)),
    ("Mateusz", ("Mati", "Matek")), ("Dorota", ("Dorotka", "Dora")), ("Ewa", ("Ewka", "Ewunia")),
    ("Jadwiga", ("Jadzia",)), ("Urszula", ("Ula", "Urszulka")), ("Beata", ("Beatka",)), ("Teresa", ("Tereska",)),
    ("Krystyna", ("Krysia", "Tyna")), ("Władysław", ("Władek", "Władzio")), ("Kazimierz", ("Kazik", "Kazio")),
    # Russian (Cyrillic; romanised keys are derived by folding)
    ("Александр", ("Саша", "Шура", "Саня", "Алекс", "Alexander", "Aleksander", "Alexandre", "Sasha", "Sascha")),
    ("Александра", ("Саша", "Шура", "Alexandra", "Aleksandra")),
    ("Алексей", ("Лёша", "Алёша", "Лёха", "Alexey", "Alexei", "Aleksei")),
    ("Дмитрий", ("Дима", "Митя", "Dmitri", "Dmitry", "Dima")),
    ("Сергей", ("Серёжа", "Серёга", "Sergei", "Sergey")),
    ("Андрей", ("Андрюша", "Andrei", "Andrey")),
    ("Михаил", ("Миша", "Мишка", "Mikhail", "Michail", "Misha")),
    ("Иван", ("Ваня", "Ванька", "Ivan", "Vanya")),
    ("Владимир", ("Вова", "Володя", "Вовка", "Vladimir", "Volodya")),
    ("Николай", ("Коля", "Nikolai", "Nikolay", "Kolya")),
    ("Евгений", ("Женя", "Evgeny", "Evgeniy", "Yevgeny", "Zhenya")),
    ("Евгения", ("Женя", "Evgenia", "Yevgenia", "Zhenya")),
    ("Павел", ("Паша", "Pavel", "Pasha")), ("Пётр", ("Петя", "Pyotr", "Petr", "Petya")),
    ("Юрий", ("Юра", "Yuri", "Yury", "Iurii")), ("Борис", ("Боря",)), ("Григорий", ("Гриша",)),
    ("Константин", ("Костя",)), ("Анатолий", ("Толя",)), ("Виктор", ("Витя",)), ("Вячеслав", ("Слава",)),
    ("Станислав", ("Стас", "Слава")), ("Ярослав", ("Слава", "Ярик")), ("Леонид", ("Лёня",)), ("Роман", ("Рома",)),
    ("Максим", ("Макс",)), ("Никита", ("Никитка",)), ("Илья", ("Илюша",)), ("Кирилл", ("Кирюша",)),
    ("Олег", ("Олежка",)),
    ("Екатерина", ("Катя", "Катюша", "Катька", "Ekaterina", "Yekaterina", "Katya")),
    ("Елена", ("Лена", "Алёна", "Elena", "Yelena", "Lena")),
    ("Наталья", ("Наташа", "Ната", "Natalia", "Natalya", "Natasha")),
    ("Татьяна", ("Таня", "Tatiana", "Tatyana", "Tanya")), ("Ольга", ("Оля", "Olga", "Olya")),
    ("Мария", ("Маша", "Маруся", "Maria", "Mariya", "Masha")), ("Анна", ("Аня", "Анюта", "Anna", "Anya")),
    ("Анастасия", ("Настя", "Anastasia", "Anastasiya", "Nastya")), ("Юлия", ("Юля", "Yulia", "Julia", "Yuliya")),
    ("Светлана", ("Света", "Sveta")), ("Ирина", ("Ира", "Ирочка", "Irina", "Ira")), ("Людмила", ("Люда", "Мила")),
    ("Галина", ("Галя",)), ("Валентина", ("Валя",)), ("Надежда", ("Надя",)), ("Любовь", ("Люба",)),
    ("Ксения", ("Ксюша",)), ("Дарья", ("Даша",)), ("Софья", ("Соня",)), ("Вера", ("Верочка",)), ("Полина", ("Поля",)),
    ("Виктория", ("Вика",)), ("Марина", ("Мариша",)), ("Евдокия", ("Дуся",)), ("Зинаида", ("Зина",)),
)


@lru_cache(maxsize=1)
def _groups_table() -> dict[str, frozenset[str]]:
    """Return phonetic key of a given name → the phonetic keys of the formal names it may stand for.

    Keys are phonetic (``text.phonetic``) so that every romanisation of a Cyrillic diminutive
    (Лёша: Lyosha, Lesha, Ljosha) finds its formal name.
    """
    groups: dict[str, set[str]] = {}

    def link(formal: str, familiar: str) -> None:
        formal_key, familiar_key = phonetic(fold_compact(formal)), phonetic(fold_compact(familiar))
        if formal_key and familiar_key:
            groups.setdefault(formal_key, {formal_key})
            groups.setdefault(familiar_key, {familiar_key}).add(formal_key)

    for formal, familiars in NickNamer().nickname_lookup.items():
        for familiar in familiars:
            # The list also holds reversed rows ("bob" has nickname "robert"); a familiar form
            # longer than its formal name is one of those, and would chain Robert to William.
            if len(familiar) <= len(formal):
                link(formal, familiar)
    for formal, forms in _MULTILINGUAL:
        for familiar in forms:
            link(formal, familiar)
    return {name: frozenset(formals) for name, formals in groups.items()}


@lru_cache(maxsize=65536)
def nickname_groups(key: str) -> frozenset[str]:
    """Return the formal names (phonetic keys) a folded given name may stand for; itself when none."""
    folded = phonetic(key)
    return _groups_table().get(folded, frozenset((folded,)))


@lru_cache(maxsize=1)
def _familiar_table() -> dict[str, frozenset[str]]:
    """Return formal name → every phonetic key that may stand for it (itself included)."""
    familiar: dict[str, set[str]] = {}
    for name, formals in _groups_table().items():
        for formal in formals:
            familiar.setdefault(formal, {formal}).add(name)
    return {formal: frozenset(names) for formal, names in familiar.items()}


@lru_cache(maxsize=65536)
def nickname_initials(key: str) -> frozenset[str]:
    """Return the first letters of every form of a given name: Toni → {t, a} (Antonio, Totò)."""
    table = _familiar_table()
    forms = {form for formal in nickname_groups(key) for form in table.get(formal, (formal,))}
    return frozenset(form[0] for form in forms | {key} if form)
