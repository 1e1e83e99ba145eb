"""Common given names, so that PM501 can tell "Sergei broke the build" (a person) from
"Terraform deleted the bucket" (a tool).

Written for this project: frequent given names across many languages, leaving out those that
are also common words or technology names (Will, May, Grant, Ruby, Julia, Ada, Jenkins).
Teams add their own people's names, or any phrase, with `blame_terms` in mkdocs.yml.
"""

from __future__ import annotations

FIRST_NAMES = frozenset(
    str.split("""
Aaron Abdul Abdullah Abigail Adam Adrian Agnieszka Ahmed Ahmad Aisha Akira Alan Albert Alberto
Alejandro Aleksandr Aleksei Alena Alex Alexander Alexandra Alexei Alexey Alfonso Ali Alice
Alicia Alina Alison Allison Alyssa Amanda Amelia Amit Amy Ana Anastasia Anders Andre Andrea
Andreas Andrei Andrew Andrey Andy Angela Angelo Anil Anita Ann Anna Anne Annika Anthony Anton
Antonio Anya Arjun Arnav Arthur Ashley Astrid Aurelie Ayesha Barbara Ben Benjamin Bernard
Bianca Björn Bob Bobby Boris Brandon Brenda Brian Bruno Bryan Camila Carl Carla Carlos
Carmen Carol Caroline Catherine Cecilia Charles Charlie Charlotte Chen Chloe Chris Christian
Christina Christine Christopher Cindy Claire Clara Claudia Colin Connor Craig Cristina
Cynthia Daisuke Dan Daniel Daniela Danielle Daniil Dave David Debbie Deborah Denis Dennis
Derek Diana Diego Dmitri Dmitry Dominic Donald Doug Douglas Duc Dylan Ed Eddie Edward Elena
Eleanor Eli Elif Elijah Elizabeth Ella Ellen Emily Emma Emil Emre Enrique Eric Erik Erin
Ethan Eugene Eva Evan Evelyn Fabian Fatima Felix Fernando Filip Finn Florian Francesca
Francesco Francisco Frank Fred Frederik Gabriel Gabriela Gary Gavin Geoff George Georg Gerald
Gianni Giovanni Giulia Greg Gregory Guillaume Gustavo Hamid Hana Hannah Hans Haruto Hassan
Heather Heidi Helen Helena Henrik Henry Hiroshi Hugo Hussein Ian Ibrahim Igor Ilya Imran
Ines Ingrid Irina Isaac Isabel Isabella Ivan Jacob Jake James Jamie Jan Jane Janet Jared
Jason Javier Jean Jeff Jeffrey Jennifer Jenny Jeremy Jerome Jesse Jessica Jim Jimmy Joan
Joanna Joe Joel Johan Johannes John Jon Jonas Jonathan Jorge Jose José Joseph Josh Joshua
Juan Judith Julian Julie Julien Justin Kai Kamal Karen Karim Karl Kate Katherine Kathy
Katie Kavya Keith Kelly Ken Kenji Kevin Kim Kirill Klaus Krishna Kristina Kumar Kyle Lars
Laura Lauren Lee Lena Leo Leon Leonardo Liam Linda Lisa Liu Lorenzo Louis Lucas Lucia
Luis Luka Lukas Luke Magnus Mahmoud Manuel Marco Marcus Maria Marie Marina Mario Marta Martin
Mary Mateo Matt Matteo Matthew Matthias Maxim Maya Megan Mehmet Melissa Mia Michael Michal
Michelle Miguel Mika Mike Mikhail Ming Mohamed Mohammad Mohammed Monica Muhammad Nadia Nancy
Naomi Natalia Natasha Nathan Neha Nicholas Nick Nicolas Nicole Niels Nikhil Nikita Nikolai
Nina Noah Noor Nora Oleg Olga Oliver Olivia Omar Oscar Owen Pablo Paolo Patrick Paul Paula
Pavel Pedro Peter Philip Philipp Pierre Pooja Priya Rachel Rafael Rahul Raj Rajesh Ralph
Ramon Randy Raphael Ravi Rebecca Ricardo Richard Rick Rita Rob Robert Roberto Robin Rohan
Roman Ronald Rory Ross Ryan Sam Samantha Samir Samuel Sandra Sanjay Sara Sarah Sasha Satoshi
Scott Sean Sebastian Sergei Sergey Sergio Seth Shanti Sharon Shawn Shreya Simon Sofia Sonia
Sophia Sophie Stefan Stefano Stephanie Stephen Steve Steven Sunil Susan Sven Svetlana Takeshi
Tanya Tara Teresa Thomas Tim Timothy Tina Todd Tom Tomas Tomasz Tony Tyler Valentina Vanessa
Victor Victoria Vijay Vikram Vincent Vladimir Walter Wang Wei Wendy William Xavier Xin Yan
Yang Yara Yasmin Yuki Yuri Yusuf Zach Zachary Zhang Zoe Zoltan
""")
)
