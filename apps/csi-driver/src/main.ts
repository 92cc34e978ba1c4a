import 'reflect-metadata';
console.log('driver stub');
