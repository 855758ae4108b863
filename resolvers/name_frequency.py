"""A prior on how common a name is: the most frequent surnames and given names of major markets.

Two records that share only a full name are likely one person when the name is rare and likely
two when it is common ("John Smith", "Marco Rossi", "Иван Иванов"). The resolver cannot learn
name frequencies from the records it holds without making every decision depend on the whole
data set, so it carries this fixed prior instead. The lists are the top surnames and given names
of each country as published by national statistics offices and civil registries (US Census,
ONS, INSEE, Destatis/GfL, ISTAT, INE, IBGE, CBS/Meertens, PESEL, and Russian registry studies),
in their native spelling; keys are folded, so Cyrillic forms and their romanisations both hit.
"""

from __future__ import annotations

from functools import lru_cache

from resolvers.normalize.names import PersonName, phonetic
from resolvers.normalize.nicknames import nickname_groups
from resolvers.normalize.text import fold_compact

__all__ = ["is_common_name", "is_given_name", "is_surname"]

_SURNAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Evans Turner Phillips Parker Edwards Collins Stewart Morris Murphy Cook
Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett
Gray James Hughes Price Myers Long Foster Sanders Ross Powell Sullivan Russell Patel Davies Wright Walker
Thompson Robinson Wood Hall Green Clarke Hughes Edwards Lewis Roberts Jackson Turner Hill Moore Harris
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux
David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefevre Faure
Andre Mercier Blanc Guerin Boyer Garnier Chevalier Francois Legrand Gauthier Perrin Robin Clement Morin
Nicolas Henry Roussel Mathieu Gautier Masson
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein
Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause
Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz
Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De Luca Mancini
Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini
Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola De Santis D'Angelo Marchetti Parisi Villa
Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala De Angelis Gatti Pellegrini Palumbo
García González Rodríguez Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz
Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano
Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido
Cortés Castillo Santos Lozano Guerrero Cano Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera
Silva Santos Oliveira Souza Sousa Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins Carvalho
Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade Moreira Nunes Marques Machado
Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira Araújo Pinto Correia Melo Cavalcanti Monteiro
De Jong Jansen De Vries Van den Berg Van Dijk Bakker Janssen Visser Smit Meijer De Boer Mulder De Groot
Bos Vos Peters Hendriks Van Leeuwen Dekker Brouwer De Wit Dijkstra Smits De Graaf Van der Meer Van der Linden
Kok Jacobs De Haan Vermeulen Van den Heuvel Van der Veen Van den Broek De Bruijn De Bruin Van der Heijden
Schouten Van Beek Willems Van Vliet Van de Ven Hoekstra Maas Verhoeven Koster Van Dam Prins Blom Huisman
Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski
Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Kaczmarek Piotrowski Grabowski Zając Pawłowski
Michalski Król Wieczorek Jabłoński Wróbel Nowakowski Majewski Olszewski Stępień Malinowski Jaworski Adamczyk
Dudek Nowicki Pawlak Górski Witkowski Walczak Sikora Baran Rutkowski Michalak Szewczyk Ostrowski Tomaszewski
Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев
Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев
Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв
Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков
Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks
Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross
Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher
Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford
Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner
Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols
Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters
Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado
Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval
Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez Wheeler Valdez Harper Burke Larson Santiago
Maldonado Morrison Franklin Carlson Austin Dominguez Carr Lawson Jacobs Obrien Lynch Singh Vega Bishop
Montgomery Oliver Jensen Harvey Williamson Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy
Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park Yang Little Banks Padilla Day Walsh
Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman Pearson Curtis Cortez
Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina Stanley Hopkins Campos Barnett
Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier Powers Neal Leonard Gregory
Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings Watts Duran Walters Cohen McDaniel Moran
Parks Steele Vaughn Becker Holt Deleon Barker Terry Hale Leon Hail Benson Haynes Horton Miles Lyons Pham
Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy Love
Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon Velasquez Hardy
Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey Francis Griffith
Paul Blair Oconnor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers Serrano
Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McLaughlin Harmon McGee Gross Doyle Garner
Newton Burgess Reese Walton Blake Trujillo Adkins Brady Goodman Roman Webster Goodwin Fischer Huang Potter
Delacruz Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate Mack Sherman Hubbard Hodges Zhang
Guerra Wolf Valencia Saunders Franco Rowe Gallagher Farmer Hammond Hampton Townsend Ingram Wise Gallegos
Clarke Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person Colon Parsons Frank Harrington
Glover Osborne Buchanan Casey Floyd Patton Ibarra Ball Tyler Suarez Bowers Orozco Salas Cobb Gibbs Andrade
Bauer Conner Moody Escobar McGuire Lloyd Mueller Hartman French Kramer McBride Pope Lindsey Velazquez Norton
McCormick Sparks Flynn Yates Hogan Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock
Villarreal Charles Drake Barrera Cain Patrick Pineda Burnett Mercado Santana Shepherd Bautista Ali Shaffer
Lamb Trevino McKenzie Hess Beil Olsen Cochran Morton Nash Wilkins Petersen Briggs Shah Roth Nicholson Holloway
Lozano Rangel Flowers Hoover Short Arias Mora Valenzuela Bryan Meyers Weiss Underwood Bass Greer Summers
Houston Carson Morrow Clayton Whitaker Decker Yoder Collier Zuniga Carey Wilcox Melendez Poole Roberson Larsen
Conley Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson Hood Monroe Anthony Pittman Huynh Randall
Singleton Kirk Combs Mathis Christian Skinner Bradford Richard Galvan Wall Boone Kirby Wilkinson Bridges
Bruce Atkinson Velez Meza Roy Vincent York Hodge Villa Abbott Allison Tapia Gates Chase Sosa Sweeney Farrell
Wyatt Dalton Horn Barron Phelps Yu Dickerson Heath Foley Atkins Mathews Bonilla Acevedo Benitez Zavala Hensley
Glenn Cisneros Harrell Shields Rubio Choi Huffman Boyer Garrison Arroyo Bond Kane Hancock Callahan Dillon
Cline Wiggins Grimes Arellano Melton Oneill Savage Ho Beltran Pitts Parrish Ponce Rich Booth Koch Golden Ware
Brennan McDowell Marks Cantu Humphrey Baxter Sawyer Clay Tanner Hutchinson Kaur Berg Wiley Gilmore Russo
Villegas Hobbs Keith Wilkerson Ahmed Beard McClain Montes Mata Rosario Vang Walter Henson Oneal Mosley McClure
Beasley Stephenson Snow Huerta Preston Vance Barry Johns Eaton Blackwell Dyer Prince Macdonald Solomon
Guevara Stafford English Hurst Woodard Cortes Shannon Kemp Nolan McCullough Merritt Murillo Moon Salgado
Strong Kline Cordova Barajas Roach Rosas Winters Jacobson Lester Knox Bullock Kerr Leach Meadows Orr Davila
Whitehead Pruitt Kent Conway McKee Barr David Dejesus Marin Berger McIntyre Blankenship Gaines Palacios
Cuevas Bartlett Durham Dorsey McCall Odonnell Stein Browning Stout Lowery Sloan McLean Hendricks Calhoun
Sexton Chung Gentry Hull Duarte Ellison Nielsen Gillespie Buck Middleton Sellers Leblanc Esparza Hardin
Bradshaw McIntosh Howe Livingston Frost Glass Morse Knapp Herman Stark Bravo Noble Spears Weeks Corona
Frederick Buckley McFarland Hebert Enriquez Hickman Quintero Randolph Schaefer Walls Trejo House Reilly
Pennington Michael Conrad Giles Benjamin Crosby Fitzpatrick Donovan Mays Mahoney Valentine Raymond Medrano
Hahn McMillan Small Bentley Felix Peck Lucero Boyle Hanna Pace Rush Hurley Harding McConnell Bernal Nava
Ayers Everett Ventura Avery Pugh Mayer Bender Shepard McMahon Landry Case Sampson Moses Magana Blackburn
Dunlap Gould Duffy Vaughan Herring McKay Espinosa Rivers Farley Bernard Ashley Friedman Potts Truong Costa
Correa Blevins Nixon Clements Fry Delarosa Best Benton Lugo Portillo Dougherty Crane Haley Phan Villalobos
Blanchard Horne Finley Quintana Lynn Esquivel Bean Dodson Mullen Xiong Hayden Cano Levy Huber Richmond
Moyer Lim Frye Sheppard McCarty Avalos Booker Waller Parra Woodward Jaramillo Krueger Rasmussen Brandt
Peralta Donaldson Stuart Faulkner Maynard Galindo Coffey Estes Sanford Burch Maddox Vo Oconnell Vu Andersen
Spence McPherson Church Schmitt Stanton Leal Cherry Compton Dudley Sierra Pollard Alfaro Hester Proctor Lu
Hinton Novak Good Madden McCann Terrell Jarvis Dickson Reyna Cantrell Mayo Branch Hendrix Rollins Rowland
Whitney Duke Odom Daugherty Travis Tang Archer
Jones Evans Roberts Hughes Lewis Edwards Green Hall Wood Clarke Cooper Hill Ward Morris Moore Clark Lee King
Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell
Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson
Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell
Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray
Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders
Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien
Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster
Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter
Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cunningham Warren Nicholson
Gordon Kaur Burns
"""

_GIVEN_NAMES = """
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony
Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan
Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Frank
Alexander Raymond Patrick Jack Dennis Jerry Tyler Aaron Jose Adam Henry Nathan Peter Zachary Kyle
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra
Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura
Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine
Debra Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly
Oliver Harry Jack Charlie Noah Leo Oscar Arthur Freddie Alfie Theo Archie Jacob Muhammad Amelia Isla Ava
Mia Ivy Lily Sophia Sophie Grace Freya Evie Poppy Ella Charlotte Jessica Lucy Hannah Chloe Ellie Alice
Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Daniel Bernard Eric Frédéric Laurent Stéphane
David Julien Pascal Sébastien Thierry Olivier François Jacques Thomas Alexandre Vincent Antoine Maxime
Marie Nathalie Isabelle Sylvie Catherine Martine Christine Françoise Valérie Sandrine Stéphanie Véronique
Sophie Céline Chantal Patricia Anne Brigitte Julie Monique Aurélie Nicole Laurence Camille Léa Manon Chloé
Emma Inès Louise Jade Lucas Hugo Louis Gabriel Arthur Jules Raphaël Adam Paul Léo Enzo Mathis Nathan
Peter Michael Thomas Andreas Wolfgang Klaus Jürgen Günter Stefan Christian Uwe Werner Horst Frank Dieter
Manfred Gerhard Hans Bernd Joachim Ralf Helmut Matthias Sven Jan Alexander Tobias Markus Florian Maximilian
Ursula Sabine Monika Petra Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela Claudia Susanne Gabriele
Christa Christine Stefanie Julia Katharina Anna Laura Lena Lea Sarah Hannah Johanna Lisa Leonie Mia Emilia
Giuseppe Giovanni Antonio Mario Luigi Francesco Angelo Vincenzo Pietro Salvatore Carlo Franco Domenico
Bruno Paolo Michele Giorgio Aldo Sergio Luciano Marco Alessandro Andrea Luca Stefano Roberto Matteo Lorenzo
Leonardo Davide Simone Federico Riccardo Gabriele Tommaso Edoardo
Maria Anna Giuseppina Rosa Angela Giovanna Teresa Lucia Carmela Caterina Francesca Antonietta Carla Elena
Concetta Rita Margherita Franca Paola Laura Sara Giulia Chiara Martina Valentina Alessia Federica Silvia
Sofia Aurora Alice Ginevra Emma Giorgia Beatrice
Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael Pedro Ángel
Pablo Sergio Fernando Jorge Luis Alberto Álvaro Adrián Diego Raúl Enrique Ramón Vicente Andrés Joaquín
Hugo Martín Mateo Lucas Leo
María Carmen Ana Isabel Laura Cristina Antonia Marta Dolores Lucía Pilar Elena Concepción Sara Paula
Manuela Mercedes Raquel Rosa Juana Teresa Beatriz Nuria Silvia Julia Irene Rocío Alba Patricia Andrea
Encarnación Montserrat Sofía Martina
João Antônio Francisco Carlos Paulo Pedro Lucas Luiz Marcos Luis Gabriel Rafael Daniel Marcelo Bruno
Eduardo Felipe Raimundo Rodrigo Manoel Mateus André Fernando Fábio Leonardo Gustavo Guilherme Leandro
Tiago Anderson Ricardo Márcio Jorge Sebastião Alexandre Roberto Edson Diego Vitor Sérgio Cláudio Joaquim
Maria Ana Francisca Antônia Adriana Juliana Márcia Fernanda Patrícia Aline Sandra Camila Amanda Bruna
Jéssica Letícia Júlia Luciana Vanessa Mariana Gabriela Vera Vitória Larissa Cláudia Beatriz Luana Rita
Sônia Renata Eliane Josefa Simone Natália Cristina Carla Débora Rosângela Jaqueline Rosa Daniela Aparecida
Jan Johannes Cornelis Hendrik Willem Pieter Gerrit Jacobus Hendrikus Petrus Dirk Theodorus Wilhelmus
Adrianus Franciscus Johan Kees Henk Piet Daan Sem Lucas Levi Finn Milan Luuk Bram Thijs Jesse Ruben Sander
Maria Johanna Anna Elisabeth Cornelia Wilhelmina Hendrika Catharina Geertruida Petronella Emma Julia Mila
Tess Sophie Zoë Sara Nora Anne Lotte Sanne Femke Lisa Eva Iris Fleur Lieke
Piotr Krzysztof Andrzej Tomasz Paweł Jan Michał Marcin Stanisław Jakub Adam Marek Łukasz Grzegorz Mateusz
Wojciech Mariusz Dariusz Zbigniew Jerzy Maciej Rafał Robert Kamil Józef Janusz Ryszard Tadeusz Kacper
Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Elżbieta Joanna Aleksandra
Zofia Monika Teresa Danuta Natalia Julia Karolina Marta Beata Dorota Halina Jadwiga Janina Alicja
Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Артём Никита Денис Владимир Павел
Николай Игорь Роман Олег Виктор Антон Юрий Кирилл Илья Егор Вадим Константин Василий Анатолий Виталий
Елена Ольга Наталья Татьяна Анна Мария Ирина Екатерина Светлана Юлия Анастасия Марина Людмила Дарья
Галина Валентина Надежда Ксения Алина Виктория Полина Елизавета Вера Любовь Нина Софья
Megan Brittany Danielle Tiffany Amber Crystal Kayla Courtney Erin Christina Alyssa Lauren Taylor Madison
Kathryn Allison Alexis Brianna Kristen Natalie Tara Erica Vanessa Monica Andrea Jacqueline Kristin Kathy
Lindsay Molly Holly Abigail Haley Morgan Hailey Kaitlyn Brooke Shelby Jasmine Jenna Mackenzie Caroline
Julia Katie Kelsey Sydney Savannah Destiny Jordan Marissa Mariah Gabrielle Ariana Sierra Paige Chelsea
Cassandra Veronica Tanya Tracy Wendy Dawn Denise Tammy Teresa Theresa Sheila Gloria Evelyn Jean Judy Ann
Alice Frances Martha Joan Jacqueline Cheryl Marilyn Beverly Diana Kathryn Lori Tina Robin Leslie Bonnie Paula
Kim Lois Norma Peggy Rose Megan Georgia Georgie Harriet Imogen Phoebe Florence Matilda Rosie Millie Daisy
Scarlett Elsie Evelyn Eleanor Holly Megan Bethany Abbie Jade Molly Leah Zara Ruby Eva Ellen Lydia Rebecca
Sean Shawn Travis Jeremy Marcus Cody Shane Derek Randy Dustin Jesse Bradley Corey Keith Chad Adam Seth Austin
Trevor Evan Luke Ian Caleb Cameron Connor Hunter Logan Dylan Jordan Chase Blake Cole Gavin Mason Landon
Carter Wyatt Owen Ethan Elijah Isaac Gabriel Colin Max Jake Charlie Callum Alfie Harvey Reece Lewis Kieran
Liam Aidan Dominic Toby Rhys Jamie Luke Joe Sam Tom Ben Dan Matt Chris Mike Steve Dave Rob Jim Tony Nick Andy
Gary Craig Lee Wayne Darren Dean Carl Neil Stuart Graham Barry Ian Alan Keith Roger Colin Martin Malcolm
Murilo Thiago Caio Vinicius Matheus Gustavo Heitor Bernardo Davi Arthur Miguel Enzo Samuel Benjamin Isaac
Maitê Manuela Valentina Helena Laura Alice Heloísa Cecília Lívia Lorena Clara Yasmin Isabela Sophia Giovanna
Maurice Marcel Roger Henri Georges René André Claude Gérard Serge Yves Didier Bruno Joël Gilles Jérôme
Marguerite Jeanne Madeleine Simone Denise Odette Colette Geneviève Jacqueline Danielle Christiane Josette
Brigitte Annie Hélène Agnès Corinne Florence Caroline Émilie Mélanie Audrey Élodie Pauline Margaux Océane
"""


def _keys(text: str) -> frozenset[str]:
    """Return the folded key and phonetic key of every name in a whitespace-separated list."""
    keys: set[str] = set()
    for raw in text.split():
        key = fold_compact(raw)
        if key:
            keys.update((key, phonetic(key)))
    return frozenset(keys)


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], frozenset[str]]:
    return _keys(_GIVEN_NAMES), _keys(_SURNAMES)


def _feminine_forms(token: str) -> tuple[str, ...]:
    """Return the masculine forms a Slavic feminine surname may come from (Ivanova → Ivanov)."""
    for feminine, masculine in (("ova", "ov"), ("eva", "ev"), ("ina", "in"), ("skaia", "skii"), ("skaya", "skiy"),
                                ("ska", "ski"), ("cka", "cki"), ("aia", "ii"), ("aya", "iy")):
        if token.endswith(feminine):
            return (token[: -len(feminine)] + masculine,)
    return ()


def _common_given(tokens: tuple[str, ...], groups: frozenset[str]) -> bool:
    given, _ = _tables()
    return any(t in given or phonetic(t) in given for t in tokens) or bool(groups & given)


def _common_surname(tokens: tuple[str, ...]) -> bool:
    _, surnames = _tables()
    for token in tokens:
        forms = (token, *_feminine_forms(token))
        if any(form in surnames or phonetic(form) in surnames for form in forms):
            return True
    return False


@lru_cache(maxsize=65536)
def is_common_name(name: PersonName) -> bool:
    """Whether a full name is collision-prone: a common given name *and* a common surname.

    Both readings are tried, since first and last names are often swapped ("Rossi Marco").
    """
    if _common_given(name.first_tokens, name.first_groups) and _common_surname(name.last_tokens):
        return True
    return _common_given(name.last_tokens, frozenset()) and _common_surname(name.first_tokens)


@lru_cache(maxsize=65536)
def is_given_name(key: str) -> bool:
    """Whether a folded word is known as a given name (the prior's lists or the nickname table)."""
    given, _ = _tables()
    return key in given or phonetic(key) in given or len(nickname_groups(key) - {phonetic(key)}) > 0


@lru_cache(maxsize=65536)
def is_surname(key: str) -> bool:
    """Whether a folded word is on the prior's list of common surnames."""
    return _common_surname((key,))
