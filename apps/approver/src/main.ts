import 'reflect-metadata';
console.log('approver stub');
